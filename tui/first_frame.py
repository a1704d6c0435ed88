"""The dashboard's first frame: one frame, as few bytes as the picture needs, nothing heavy before it.

A mixin of :class:`tui.app.Dashboard` (kept apart to keep app.py small): the driver's
output rewritten as style differences (tui/sgr.py), the display held until the panels
have laid out for their real widths, the breakpoint classes set before the first
layout, and the engine's held-back indicators (the breach simulation) evaluated just
after the frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.screen import Screen


class SteadyScreen(Screen[None]):
    """The dashboard's screen, deaf to a Resize that is no longer the terminal's size.

    A resize while the app starts (a tiling window manager sizing a new terminal, or the
    first size Textual guesses) leaves two Resize events of different sizes in the
    screen's queue; each layout then re-posts its own size to the screen, and the two
    chase each other for ever without yielding to the event loop (a blank screen, a core
    spinning, no key nor signal handled). Textual sends the screen the terminal's latest
    size after every change, so a Resize of any other size is stale and dropped."""

    async def _on_resize(self, event: events.Resize) -> None:
        """Textual calls this before Screen's own handler, which runs unless prevented."""
        if event.size != self.app.size:
            event.prevent_default()
            event.stop()
            return
        from .layout import arrange

        arrange(self.app)  # the panels placed for this size and the config's [layout] (tui/layout.py)

    def _compositor_refresh(self) -> None:
        """Not while the first frame is held: Textual would render the whole screen (30 ms
        at 120×40) and its display would throw the frame away; the release paints it."""
        if getattr(self.app, "holding_first_frame", False) and self is self.app.screen:
            return
        super()._compositor_refresh()


class FirstFrame(App[int]):
    #: The display is held for the first frame (:meth:`_hold_first_paint`).
    holding_first_frame = False
    if TYPE_CHECKING:  # provided by tui.app.Dashboard
        HORIZONTAL_BREAKPOINTS: list[tuple[int, str]]
        VERTICAL_BREAKPOINTS: list[tuple[int, str]]
        session: Any  # the Session, local or remote

        @property
        def panels(self) -> list[Any]: ...

        def apply(self, snap: Any) -> None: ...

        def display_error(self, exc: Exception) -> None: ...

    def get_default_screen(self) -> Screen[None]:
        """The screen, already classed for the terminal's size (known from the driver): the
        panels are styled once, for this layout, when they mount."""
        screen = SteadyScreen(id="_default")
        screen.set_classes(self._breakpoint_classes())
        return screen

    def _build_driver(self, *args, **kwargs):
        """Textual's driver, knowing the terminal's size from the start (tui/terminal.py),
        writing style changes as differences (tui/sgr.py: the first frame at 120×40 is a
        third of the bytes, which is what a slow SSH link waits for) and no colour codes
        under ``NO_COLOR``."""
        import os

        from .terminal import known_size

        driver = super()._build_driver(*args, **kwargs)
        known_size(self, driver)
        diff = os.environ.get("GPURISK_SGR", "") != "plain"
        if not self.is_headless and (diff or self.no_color):
            from .sgr import wrap

            driver.write = wrap(driver.write, diff=diff, colour=not self.no_color)  # type: ignore[method-assign,assignment]
        return driver

    # --- layout ---------------------------------------------------------------
    def _hold_first_paint(self) -> None:
        """One first frame, not three: the panels learn their widths from the first layout
        and lay their rows out again for them, which Textual would paint as a second full
        frame and then some (156 KB at 120×40 where one frame is 28 KB). Hold the display
        until the layout has settled (no panel moved by the last one), then paint once (as
        ``App.delay_update`` does, ended by the layout instead of a timer; a timer ends it
        anyway after 0.5 s)."""
        if self.is_headless:
            self.call_after_refresh(self._release_held)
            return
        self._begin_batch()
        self.holding_first_frame = True
        done, rounds = False, 0

        def release(final: bool = False) -> None:
            nonlocal done, rounds
            if done:
                return
            if not final and rounds < 6 and self._layout_moved():
                rounds += 1
                self.call_after_refresh(release)  # the moved panels lay their rows out first
                return
            done = True
            self.holding_first_frame = False
            self._end_batch()
            if not self._batch_count:
                self._paint_whole()
            self.call_after_refresh(self._release_held)

        self.call_after_refresh(release)
        self.set_timer(0.5, lambda: release(final=True))

    def _layout_moved(self) -> bool:
        """True while the layout is still moving: a widget has messages to handle or a
        refresh to ask for (a panel given a new size lays its rows out again and shows or
        hides its scrollbar; one as tall as its content at 200 columns moves those below
        it), or the pending layout, run now and still held (nothing is drawn), gave some."""
        screen = self.screen
        widgets = list(screen.walk_children(with_self=False))

        def busy() -> bool:  # (a hidden widget's repaint is never done: Textual 6 keeps its tooltip's asked)
            return not screen._message_queue.empty() or any(
                not w._message_queue.empty() or w._layout_required or w._scroll_required
                or (w._repaint_required and w.display) for w in widgets)

        if busy():
            return True
        if not screen._layout_required:
            return False
        screen._refresh_layout()
        screen._layout_required = False
        return busy()

    def _paint_whole(self) -> None:
        """The first frame, now (not at the screen's next update tick, up to 1/60 s later),
        every cell once: not the layout's changes and then a full repaint."""
        screen = self.screen
        for panel in self.panels:  # their "▼ n more" markers, in this frame, not the next
            panel.update_more()
        screen._compositor._dirty_regions.add(self.size.region)
        screen._repaint_required = False
        if screen._layout_required:
            screen._on_timer_update()  # the layout, then the frame
        else:
            screen._dirty_widgets.clear()
            screen._compositor_refresh()

    def _release_held(self) -> None:
        """After the first frame: the indicators the engine held back for it (the breach
        simulation, which imports numpy), evaluated and shown."""
        try:
            before = self.session.snapshot
            snap = self.session.release_held()
            if snap is not before:
                self.apply(snap)
        except Exception as exc:  # a display bug must not stop the dashboard
            self.display_error(exc)

    def _breakpoints_now(self) -> None:
        """The layout for this terminal before the first paint: Textual sets the breakpoint
        classes on the first Resize, after a frame of the wide grid cut to fit (a reflow)."""
        screen = self.screen
        every = {cls for _, cls in self.HORIZONTAL_BREAKPOINTS + self.VERTICAL_BREAKPOINTS}
        want = self._breakpoint_classes()
        if screen.classes & every != want:  # one restyle of the screen, not one per class
            screen.set_classes((screen.classes - every) | want)

    def _breakpoint_classes(self) -> set[str]:
        width, height = self.size
        return {next(c for w, c in reversed(self.HORIZONTAL_BREAKPOINTS) if width >= w),
                next(c for h, c in reversed(self.VERTICAL_BREAKPOINTS) if height >= h)}

