"""A running gpurisk: configured feeds, the runner, the engine and the history store.

No Textual here: the dashboard and the headless CLI both drive a Session. The one
path for data is :meth:`Session.poll`: feed → observations → engine ingest →
snapshot (and, when enabled, the history store).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.engine import Engine, Snapshot
from feeds import registry
from feeds.base import ConfigError, Feed, FeedContext
from feeds.runner import FeedRunner, FeedStatus

from .config import Config, ConfigFileError, FeedConfig, load_config
from .durable import FlushTimer
from .events import EventLog
from .scheduler import Scheduler

if TYPE_CHECKING:
    from .peers import PeerSession


def sample_dir() -> Path:
    """The bundled sample data: the source tree's ``sample_data/`` or the wheel's copy."""
    here = Path(__file__).resolve().parent
    for cand in (here.parent / "sample_data", here / "sample_data"):
        if cand.is_dir():
            return cand
    return here.parent / "sample_data"


def history_path(config: Config, demo: bool = False) -> Path:
    """Where the history database is: the config's `history_path`, $GPURISK_HISTORY, else the user data dir."""
    from .store import default_path

    explicit = config.history_path or os.environ.get("GPURISK_HISTORY")
    return Path(explicit).expanduser() if explicit else Path(default_path(demo))


def build_feed(fc: FeedConfig, cfg: Config, ctx: FeedContext) -> Feed:
    # Built-ins load without scanning installed packages for plugins (start-up time).
    known = {fc.type: registry.FeedInfo(fc.type, registry.BUILTIN[fc.type], "built-in")} \
        if fc.type in registry.BUILTIN else registry.discover()
    if fc.type not in known:
        raise cfg.error(f"feeds.{fc.name}.type", f"unknown feed {fc.type!r} (known: {', '.join(sorted(known))})")
    try:
        cls = known[fc.type].load()
    except Exception as exc:  # a broken plugin is a config problem, not a crash
        raise cfg.error(f"feeds.{fc.name}.type", f"cannot load feed {fc.type!r}: {type(exc).__name__}: {exc}") from None
    opts: dict[str, Any] = dict(fc.options)
    if fc.name != fc.type:
        opts.setdefault("name", fc.name)
    if fc.type == "vastai" and not ctx.demo and cfg.history and "state_path" not in opts:
        # The CRI-method index pools a week of offers: keep them beside the history database.
        opts["state_path"] = str(history_path(cfg).parent / f"vast-cri-{fc.name}.json")
    try:
        return cls.from_config(opts, ctx)
    except ConfigError as exc:
        raise cfg.error(f"feeds.{fc.name}.{exc.key}", exc.problem) from None


log = logging.getLogger("gpurisk.session")

DEMO_DATE = date(2026, 3, 3)  # the replay feed's default `start`


def demo_start(feeds: Iterable[Feed]) -> date:
    """The demo's opening day: the replay's ``start`` (default 2026-03-03)."""
    starts = (getattr(f, "start", None) for f in feeds if f.demo)
    return next((s for s in starts if isinstance(s, date)), DEMO_DATE)


def demo_clock(feeds: list[Feed]) -> Callable[[], datetime] | None:
    """The freshness clock of the demo: its opening date (the replay's `start`, default
    2026-03-03) at 23:59 UTC, for the demo is a picture of that day. Sample files are
    judged as of it and replayed prices dated after it stay fresh. None (the wall
    clock) when no feed is a demo feed."""
    if not any(f.demo for f in feeds):
        return None
    start = demo_start(feeds)
    at = datetime(start.year, start.month, start.day, 23, 59, tzinfo=UTC)
    return lambda: at


class Session:
    remote = False  # the capability flag of gpurisk/view.py: True for a session fed by a collector

    def __init__(self, config: Config, feeds: list[Feed], store: Any = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        """``clock``: what data ages are judged against (see :func:`demo_clock`); None = wall clock."""
        self.config = config
        self.engine = Engine(company=config.company, thresholds=config.thresholds, weights=config.weights)
        self.runner = FeedRunner(feeds, clock=clock)
        self.demo = any(f.demo for f in feeds)
        self.store = store
        self.flusher = FlushTimer(self._timed_flush)  # .delay: seconds from an observation to disk
        self._alerts_dirty = False
        self.history_error: str | None = None  # why history is off ("history disabled: ..."), for the screen
        self.exit_note: str | None = None  # after aclose(): rows the history could not write, and where they are
        self.last_internal_error: str | None = None  # "HH:MM:SS UTC what" of the last error inside the app
        self._write_failing = False
        self.alerts: Any = None  # engine.alerts.AlertEngine, see setup_alerts()
        self.alert_sink: Any = None
        self.alert_events: list[Any] = []  # events of the last poll, for the screen
        self._acked: list[list[str]] = []  # what each acknowledge did, newest last (undo)
        self._feed_keys: dict[str, set[str]] = {}  # feed -> keys of what it delivered
        self._stale_cache: tuple[frozenset[tuple[str, str]], dict[str, str]] = (frozenset(), {})
        self.events = EventLog()  # alert, filing, feed and status changes on the data's clock (gpurisk/events.py)
        #: Called with (feed, observations) after each poll that brought some, before the
        #: engine ingests them: the collector (gpurisk/serve) sends them on to its clients.
        self.on_ingest: Callable[[str, list[Any]], None] | None = None
        #: When each feed is polled (gpurisk/scheduler.py): the dashboard and the collector drive it.
        self.scheduler = Scheduler(self.poll, self.feed_names, self.next_delay, may_poll=self.may_refresh,
                                   floor=self._floor, deadline=self._poll_deadline)
        self._peers: PeerSession | None = None

    def setup_alerts(self, bell_fn: Any = None, log_path: str | None = None) -> None:
        """Alert rules (the config's, then the defaults it does not replace) with saved state.

        State survives a restart: in the history database when there is one, else in a
        small JSON file (next to an explicit ``log_path``, else in the user data dir;
        the demo keeps its own)."""
        from pathlib import Path

        from .alerting import AlertSink, JsonStateFile, default_log_path, default_state_path, load_alert_engine

        rules = self.alert_rules() + self.filing_rules()
        suffix = "-demo" if self.demo else ""
        path = log_path or self.config.alert_log
        if path is None:
            base = default_log_path()
            path = str(base.with_name(f"alerts{suffix}.jsonl"))
        path = str(Path(path).expanduser())
        if self.demo:  # the replay starts over each run: yesterday's demo alerts would only confuse
            self._alert_store: Any = _MemoryState()
        elif self.store is not None:
            self._alert_store = self.store
        else:
            folder = Path(path).parent if (log_path or self.config.alert_log) else default_state_path().parent
            self._alert_store = JsonStateFile(folder / "alert-state.json")
        self.alerts = load_alert_engine(rules, self._alert_store)
        self.alert_sink = AlertSink(path, hook=self.config.alert_command, bell=self.config.bell and bell_fn is not None,
                                    bell_fn=bell_fn, env_names=self.config.alert_env)

    def alert_rules(self) -> list[Any]:
        """The rules this session alerts on: the config's, then the defaults it does not
        replace, each default at its indicator's alert level (the config's when it sets
        one). ``gpurisk.promrules`` turns the same list into Prometheus rules."""
        from engine.alerts import default_rules, rules_from_config

        user = rules_from_config(self.config.alert_rules)
        taken = {r.name for r in user}
        levels = {n: self.engine.thresholds.get(n) or ind.threshold for n, ind in self.engine.indicators.items()}
        levels = {n: t for n, t in levels.items() if t is not None}
        return user + [r for r in default_rules(self.engine.indicators, levels) if r.name not in taken]

    def filing_rules(self) -> list[Any]:
        """Rules of kind ``filing`` (engine/filing_rules.py): the config's, then the default
        (8-K item 2.03 or 2.04 → warning) unless a rule of the config has its name. Kept out
        of :meth:`alert_rules`, which lists rules on indicator values only."""
        from engine.filing_rules import all_rules_from_config, default_filing_rules, filing_rules

        user = filing_rules(all_rules_from_config(self.config.alert_rules))
        taken = ({str(r.get("name", "")) for r in self.config.alert_rules if isinstance(r, dict)}
                 | {r.name for r in user})
        return user + [r for r in default_filing_rules() if r.name not in taken]

    def acknowledge(self, rule: str | None = None) -> list[str]:
        """Acknowledge one firing rule (or all) and keep that across a restart."""
        if self.alerts is None:
            return []
        from .alerting import save_alert_state

        done = self._log_ack(self.alerts.acknowledge(rule))
        if done:
            self._acked.append(done)
            del self._acked[:-20]  # a few levels of undo are plenty
            save_alert_state(self.alerts, self._alert_store)
        return done

    def undo_acknowledge(self) -> list[str]:
        """Undo the last :meth:`acknowledge`: exactly the rules it acknowledged (those still
        acknowledged) are unacknowledged again, and that is saved like an acknowledge.
        Returns them; empty when there is nothing to undo."""
        if self.alerts is None or not self._acked:
            return []
        from .alerting import save_alert_state

        done = self.alerts.unacknowledge(self._acked.pop())
        if done:
            save_alert_state(self.alerts, self._alert_store)
        return done

    def _evaluate_alerts(self, snap: Snapshot, obs: Iterable[Any] = ()) -> None:
        if self.alerts is None:
            return
        from .alerting import save_alert_state

        self.alert_events = self.alerts.evaluate(snap.indicators, snap.created)
        # filing rules: on the data's clock (the replay date in the demo), like the event log
        self.alert_events += self.alerts.filings([o for o in obs if hasattr(o, "accession")], self.data_now())
        if self.alert_events:
            self.alert_sink.handle(self.alert_events)
            save_alert_state(self.alerts, self._alert_store)
        else:  # quiet evaluations move state too (pending since, last values): saved with the next flush
            self._alerts_dirty = True
            self.flusher.schedule()

    @classmethod
    def from_config(cls, config: Config, history: bool | None = None) -> Session:
        ctx = FeedContext(sample_dir=sample_dir(), contact=config.contact, demo=not config.live,
                          company=config.bond_company or config.company, notes=config.notes)
        feeds = [build_feed(fc, config, ctx) for fc in config.feeds if fc.enabled]
        names = [f.instance for f in feeds]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise config.error("feeds", f"two feeds share the name {sorted(dup)[0]!r}")
        session = cls(config, feeds, clock=demo_clock(feeds))
        use_history = config.history if history is None else history
        if use_history:
            session.open_history()
        return session

    # --- history ------------------------------------------------------------
    def open_history(self) -> None:
        """Open the SQLite history and replay it into the engine before the first poll.

        Live data only: the demo replays its own history from the sample files and
        keeps nothing, so sample data never mixes with live data. A path that is not a
        usable history file (not SQLite, damaged, a directory, newer schema) raises
        :class:`~gpurisk.store.HistoryFileError` (the CLI exits 2). Any other failure
        (locked, read-only, disk error) runs the session without history and says so
        in ``history_error`` (the dashboard shows it) and the log."""
        if self.demo:
            return
        from .store import HistoryFileError, HistoryStore, StoreError, replay

        path = history_path(self.config)
        try:
            self.store = HistoryStore(path)
            if self.store.readonly:  # shown at start and on the f screen (history_state says it all along)
                from feeds.textsafe import safe

                self.history_error = safe(f"history {'disk full' if self.store.full else 'read-only'}: "
                                          f"{self.store.last_error}", limit=300)
            # The newest points of every series, however old (an index published
            # monthly is still the latest value); bounded per series like the engine.
            replay(self.engine, self.store.load(limit_per_key=self.engine.state.capacity))
        except HistoryFileError:
            if self.store is not None:
                self.store.close()
            self.store = None
            raise
        except StoreError as exc:
            from feeds.textsafe import safe

            self.history_error = safe(f"history disabled: {exc}", limit=300)
            log.warning("%s", self.history_error)
            if self.store is not None:  # opened, then replay failed
                try:
                    self.store.close()
                except StoreError:
                    pass
            self.store = None

    # --- polling ------------------------------------------------------------
    def feed_names(self) -> list[str]:
        return list(self.runner.feeds)

    def feed(self, name: str) -> Feed:
        return self.runner.feeds[name]

    @property
    def snapshot(self) -> Snapshot:
        return self.engine.snapshot

    @property
    def status(self) -> dict[str, FeedStatus]:
        return self.runner.status

    async def poll(self, name: str) -> Snapshot:
        self.alert_events = []
        obs = await self.runner.poll(name)
        if self.store is not None and obs:  # queued first: what arrived is kept whatever follows
            from .store import StoreError

            try:
                self.store.add(obs)
            except StoreError as exc:  # an automatic flush of a long queue failed: the rows stay queued
                self._write_failed(exc)
            self.flusher.schedule()
        if obs:
            self._feed_keys.setdefault(name, set()).update(o.key for o in obs)
            if self.on_ingest is not None:
                self.on_ingest(name, obs)
        snap = self.engine.ingest(obs) if obs else self.engine.snapshot
        if obs:
            self._evaluate_alerts(snap, obs)
        self._record_events(obs, snap)
        return snap

    # --- the event log (gpurisk/events.py) ----------------------------------------
    def data_now(self, now: datetime | None = None) -> datetime:
        """The data's clock, which stamps the event log: the replay date (midnight UTC) in
        the demo, before the replay's first poll its start; live, ``now`` or the wall clock."""
        if not self.demo:
            return now or datetime.now(UTC)
        d = self.replay_date() or demo_start(self.runner.feeds.values())
        return datetime(d.year, d.month, d.day, tzinfo=UTC)

    def note_feeds(self, now: datetime | None = None) -> None:
        """Log feeds whose visible state moved (after each poll, and on the dashboard's tick:
        OK turns STALE by the clock alone)."""
        try:
            self.events.feeds({n: (st.display_state(now), st.problem(now)) for n, st in self.status.items()},
                              self.data_now(now))
        except Exception as exc:
            self.record_error("event log", exc)

    def delivered(self, prefixes: tuple[str, ...]) -> list[str]:
        """Feeds that have delivered keys starting with one of ``prefixes`` (why a panel is empty)."""
        return [n for n, keys in self._feed_keys.items() if any(k.startswith(prefixes) for k in keys)]

    def _log_ack(self, done: list[str]) -> list[str]:
        if done:
            self.events.acknowledged(done, self.data_now(), {r.name: r.indicator for r in self.alerts.rules.values()})
        return done

    def _record_events(self, obs: Any, snap: Snapshot) -> None:
        self.note_feeds()
        try:
            at = self.data_now()
            self.events.filings(obs, at)
            self.events.indicators(snap, at)
            self.events.alerts(self.alert_events, at)
        except Exception as exc:
            self.record_error("event log", exc)

    def _timed_flush(self) -> None:
        try:
            self.flush()
        except Exception as exc:
            self.record_error("history flush", exc)

    def record_error(self, what: str, exc: BaseException | str) -> None:
        """An error inside the program: to the debug log (with traceback) and to
        ``last_internal_error`` for the feeds screen."""
        from feeds.textsafe import safe

        from .logs import error

        detail = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        msg = safe(f"{what}: {detail}", limit=500)
        self.last_internal_error = f"{datetime.now(UTC):%H:%M:%S} UTC {msg}"
        error(msg, None if isinstance(exc, str) else exc)

    def _write_failed(self, exc: BaseException) -> None:
        if not self._write_failing:  # log the first of a run of failures, not one per retry
            self.record_error("history write failed (rows kept, retrying)", str(exc))
        self._write_failing = True

    def stale_feeds(self, now: datetime | None = None) -> dict[str, str]:
        """Feeds whose last good data is too old (by its freshness limit, or no fetch for
        three intervals, whatever the state), with why."""
        out = {}
        for name, st in self.status.items():
            if st.has_data and (st.data_stale(now) or st.fetch_stale(now)):
                out[name] = (st.stale_reason(now)
                             or f"no new data for {int(st.age(now) or 0)} s ({st.display_state(now)})")
        return out

    def stale_indicators(self, now: datetime | None = None) -> dict[str, str]:
        """Indicators that read a stale feed's data, with the feed and why: old data is
        STALE, never OK. Recomputed only when the set of stale feeds changes."""
        feeds = frozenset(self.stale_feeds(now).items())
        if feeds != self._stale_cache[0]:
            out: dict[str, str] = {}
            for name, why in sorted(feeds):
                for key in self._feed_keys.get(name, ()):
                    for ind in self.engine.dependents(key):
                        out.setdefault(ind, f"feed {name}: {why}")
            self._stale_cache = (feeds, out)
        return self._stale_cache[1]

    def stale_note(self, res: Any, now: datetime | None = None) -> str:
        """Why an indicator result rests on old data ('' when fresh): its own inputs, or a stale feed."""
        notes = [n for n in (res.stale, self.stale_indicators(now).get(res.name, "")) if n]
        return "; ".join(notes)

    def release_held(self) -> Snapshot:
        """Evaluate the indicators the engine held back for the first frame
        (:meth:`engine.engine.Engine.hold`) and their alert rules; the new snapshot."""
        old = self.engine.snapshot
        snap = self.engine.release()
        if snap is not old and self.alert_sink is not None:
            self._evaluate_alerts(snap)
        return snap

    async def poll_all(self) -> Snapshot:
        for name in self.feed_names():
            await self.poll(name)
        return self.engine.snapshot

    def flush(self) -> None:
        """Write queued observations (one transaction) and changed alert state now;
        prune once a day. Called by the flush timer, on a signal, and on quit."""
        self.flusher.cancel()
        if self._alerts_dirty and self.alerts is not None:
            from .alerting import save_alert_state

            self._alerts_dirty = False
            save_alert_state(self.alerts, self._alert_store)  # logs its own failure
        if self.store is None:
            return
        from .store import StoreError

        try:
            self.store.flush()
            now = datetime.now(UTC)
            if self.store.prune_due(now):
                self.store.prune(now)
        except StoreError as exc:  # the queue is kept; the next flush retries
            self._write_failed(exc)
            return
        if self._write_failing:
            log.warning("history writes work again")
            self._write_failing = False

    def next_delay(self, name: str) -> float:
        return self.runner.next_delay(name)

    def may_refresh(self, name: str) -> tuple[bool, str]:
        """Whether a manual refresh may ask ``name``'s source now, and if not why (the runner's
        rationing: Retry-After, floor, a poll in flight)."""
        return self.runner.may_poll(name, manual=True)

    def _floor(self, name: str) -> float:
        return self.runner.status[name].floor

    def _poll_deadline(self, name: str) -> float | None:
        """The scheduler's last resort: past the runner's own limit, which reports first."""
        limit = self.runner.give_up_after(name)
        return None if limit is None else limit + 5.0

    @property
    def peers(self) -> PeerSession:
        """The peers analysis (gpurisk/peers.py ``PeerSession``), built on first use."""
        if self._peers is None:
            from .peers import PeerSession

            self._peers = PeerSession(self)
        return self._peers

    @property
    def peers_built(self) -> PeerSession | None:
        """The peers analysis if the peers screen has opened it, else None (nothing polled)."""
        return self._peers

    def replay_date(self) -> date | None:
        for f in self.runner.feeds.values():
            d = getattr(f, "replay_date", None)
            if d is not None:
                return d.date() if hasattr(d, "date") else d
        return None

    @property
    def history_state(self) -> Any:
        """Whether the history is kept (gpurisk/history_health.py): ok, off, readonly, full, error, gone."""
        from .history_health import history_health

        return history_health(self)

    async def aclose(self) -> None:
        """Flush, close the feeds and the store. Rows the store could not write (disk full)
        go to its spool; ``exit_note`` then says how many and where, for the user."""
        self.flush()
        await self.runner.aclose()
        if self.store is not None and hasattr(self.store, "close"):
            if self.store.close():
                from feeds.textsafe import safe

                from .store_ops import exit_note

                self.exit_note = safe(exit_note(self.store), limit=500)
                log.warning("%s", self.exit_note)


class _MemoryState:
    """Alert state that lives as long as the session (the demo)."""

    def __init__(self) -> None:
        self._d: dict[str, Any] = {}

    def get_state(self, key: str) -> Any:
        return self._d.get(key)

    def put_state(self, key: str, value: Any) -> None:
        self._d[key] = value


def demo_session(history: bool = False, **replay_options: Any) -> Session:
    """The sample-data session (tests, benchmarks): replay + sample financials, customers, rates."""
    cfg = load_config(None)
    if replay_options:
        for fc in cfg.feeds:
            if fc.type == "replay":
                fc.options.update(replay_options)
    return Session.from_config(cfg, history=history)


__all__ = ["Session", "demo_session", "demo_clock", "sample_dir", "build_feed", "ConfigFileError"]
