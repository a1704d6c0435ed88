"""The screens opened over the dashboard (help, what-if, alerts, peers, feeds, events, chart,
score), each imported when first opened: none is needed for the first frame. A mixin of
:class:`tui.app.Dashboard`; ``open_screen`` never stacks a screen twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen


class ScreenActions(App[int]):
    if TYPE_CHECKING:  # set by tui.app.Dashboard
        session: Any  # the Session, local or remote
        clock: Callable[[], datetime]

    def open_screen(self, screen: Screen[Any]) -> None:
        """Show ``screen`` over the dashboard, closing any screen already open over it (so a
        screen is never stacked twice, whether opened by key, palette or click)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def close_screens(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.open_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)]))

    def action_scenario(self, name: str | None = None) -> None:
        from .screens.scenario import ScenarioScreen

        self.open_screen(ScenarioScreen(name))

    def action_alerts(self) -> None:
        from .screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.open_screen(AlertsScreen())

    def action_peers(self) -> None:
        from .screens.peers import PeersScreen

        if not isinstance(self.screen, PeersScreen):
            self.open_screen(PeersScreen())

    def action_feeds(self) -> None:
        from gpurisk.text.explain import feeds_text

        from .screens.explain import ExplainScreen

        self.open_screen(ExplainScreen("Feeds", feeds_text(self.session, self.clock())))

    def action_events(self) -> None:
        from .screens.events import EventsScreen

        if not isinstance(self.screen, EventsScreen):
            self.open_screen(EventsScreen())

    def action_chart(self, *target: str) -> None:
        """``g``: the chart of the row under the cursor (or ``target``: "rent", sku, tier /
        "indicator", name), else H100 at the reference tier (tui/screens/chart.py)."""
        from .chart.target import target_for
        from .screens.chart import ChartScreen

        self.open_screen(ChartScreen(tuple(target) if target else target_for(self)))

    def action_projection(self) -> None:
        from .screens.projection import ProjectionScreen

        if not isinstance(self.screen, ProjectionScreen):
            self.open_screen(ProjectionScreen())

    def action_score(self) -> None:
        from .screens.score import ScoreScreen

        self.open_screen(ScoreScreen())

