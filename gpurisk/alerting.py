"""Side effects of alerts: the JSON-lines alert log, the shell hook, the bell, the state file.

Why separate from ``engine.alerts``: the rule engine stays pure and testable with
hand-made times; everything that touches disk, processes or the terminal is here,
and none of it may block or crash the dashboard. A failing hook or an unwritable
log is logged (``logging``) and counted in ``AlertSink.failures``, never raised; a
failing hook is also a line in the alert log and ``AlertSink.last_failure``.
Nothing written contains a secret: URL credentials and key-like query parameters
are masked, and so is any value of a secret-looking environment variable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import platformdirs

from engine.alerts import AlertEngine, AlertEvent, AlertRule
from feeds.textsafe import safe, safe_obj

from . import hook as hookproc

log = logging.getLogger("gpurisk.alerting")
APP = "gpurisk"


def default_log_path() -> Path:
    return platformdirs.user_log_path(APP) / "alerts.jsonl"


def default_state_path() -> Path:
    return platformdirs.user_data_path(APP) / "state.json"


def redact(obj: Any, secrets: list[str] | None = None) -> Any:
    """Every string of a JSON-like structure made safe: secrets masked, controls inert."""
    return safe_obj(obj, secrets)


def _default_bell() -> None:
    stream = sys.__stderr__
    if stream is not None and stream.isatty():
        stream.write("\a")
        stream.flush()


@dataclass(frozen=True)
class HookFailure:
    """The last failed hook run: when, which rule, and what went wrong (already made safe)."""

    at: datetime
    message: str
    rule: str = ""


class AlertSink:
    """Record alert events and notify: log line, bell, shell hook (JSON on stdin).

    The hook runs in a worker thread with a minimal environment (:func:`gpurisk.hook.environment`),
    its output read to :data:`gpurisk.hook.OUTPUT_CAP` per stream, bounded by ``hook_timeout_s``
    (then its process group is killed). A failed, timed-out or unstartable hook is a
    JSON line in the alert log (``{"event": "hook_error", ...}``), in ``failures`` and in
    ``last_failure`` (which the feeds screen shows)."""

    def __init__(self, log_path: str | Path | None = None, hook: str | None = None, hook_timeout_s: float = 10.0,
                 bell: bool = False, bell_fn: Callable[[], None] | None = None, max_log_bytes: int = 5_000_000,
                 log_all: bool = False, env_names: Iterable[str] | None = None,
                 output_cap: int = hookproc.OUTPUT_CAP) -> None:
        self.log_path = Path(log_path) if log_path else default_log_path()
        self.hook = hook.strip() if hook and hook.strip() else None
        self.hook_timeout_s = hook_timeout_s
        self.bell = bell
        self.bell_fn = bell_fn or _default_bell
        self.max_log_bytes = max_log_bytes
        self.log_all = log_all  # False: firings, repeats, resolutions and a firing rule losing its data
        #: Variables the hook may see beyond PATH, HOME, LANG (LC_ALL, TZ): ``[app] alert_env``.
        self.env_names: tuple[str, ...] = tuple(env_names or ())  # the config's [app] alert_env
        self.output_cap = output_cap
        self.failures: deque[str] = deque(maxlen=50)
        self.last_failure: HookFailure | None = None
        self.last_output: bytes = b""  # the (capped) stdout of the last hook run
        self.hook_runs = 0
        self._lock = threading.Lock()
        self._tasks: set[asyncio.Future[None]] = set()
        self._threads: list[threading.Thread] = []

    def wants(self, ev: AlertEvent) -> bool:
        return self.log_all or ev.notify or ev.new in ("firing", "resolved") or ev.old == "firing"

    def handle(self, events: Iterable[AlertEvent]) -> list[dict[str, Any]]:
        """Process events; returns the (redacted) records written. Never raises, never waits for a hook."""
        written = []
        for ev in events:
            if not self.wants(ev):
                continue
            record = redact(ev.to_dict())
            self._write(record)
            written.append(record)
            if ev.notify:
                if self.bell:
                    try:
                        self.bell_fn()
                    except Exception as exc:
                        self._fail(f"bell: {exc}")
                if self.hook:
                    self._spawn(json.dumps(record, ensure_ascii=False, default=str).encode() + b"\n",
                                str(record.get("rule", "")))
        return written

    def _fail(self, msg: str) -> None:
        msg = safe(msg)
        self.failures.append(msg)
        log.warning("alert %s", msg)

    def _hook_failed(self, msg: str, rule: str) -> None:
        """A hook problem: kept for the feeds screen and written to the alert log."""
        self._fail(msg)
        now = datetime.now(UTC)
        self.last_failure = HookFailure(now, safe(msg), safe(rule))
        self._write(redact({"event": "hook_error", "at": now.isoformat(), "rule": rule, "error": msg}))

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._lock:  # hook threads write their failures too
            try:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                if self.log_path.exists() and self.log_path.stat().st_size > self.max_log_bytes:
                    os.replace(self.log_path, self.log_path.with_name(self.log_path.name + ".1"))
                with open(self.log_path, "a", encoding="utf-8") as fh:
                    fh.write(line)
            except OSError as exc:
                self._fail(f"log {self.log_path}: {exc.strerror or exc}")

    # -- hook ------------------------------------------------------------------------------------
    def _spawn(self, data: bytes, rule: str = "") -> None:
        self.hook_runs += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            t = threading.Thread(target=self._run_hook, args=(data, rule), name="gpurisk-alert-hook", daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()
            return
        fut = asyncio.ensure_future(asyncio.to_thread(self._run_hook, data, rule), loop=loop)
        self._tasks.add(fut)
        fut.add_done_callback(self._tasks.discard)

    def _run_hook(self, data: bytes, rule: str = "") -> None:
        """Run the hook once (in a worker thread). Never raises."""
        assert self.hook is not None
        res = hookproc.run(self.hook, data, self.hook_timeout_s, self.env_names, self.output_cap)
        self.last_output = res.stdout
        if res.error:
            self._hook_failed(res.error, rule)
        elif res.timed_out:
            self._hook_failed(f"hook timed out after {self.hook_timeout_s:g}s", rule)
        elif res.returncode:
            tail = res.stderr.decode("utf-8", "replace").strip()[-300:]
            note = " (output over the cap dropped)" if res.cut else ""
            rc = f"hook exited {res.returncode}{note}"
            self._hook_failed(f"{rc}: {tail}" if tail else rc, rule)

    async def drain(self) -> None:
        """Wait for running hooks (shutdown, tests); each is bounded by the hook timeout."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.to_thread(self.join)

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout if timeout is not None else self.hook_timeout_s + 5)




# -- persistence ---------------------------------------------------------------------------------
class StateStore(Protocol):
    """Anything with these two methods can hold the alert state (a JSON file, the history DB)."""

    def get_state(self, key: str) -> Any | None: ...
    def put_state(self, key: str, value: Any) -> None: ...


class JsonStateFile:
    """A small JSON object on disk, one entry per key, replaced atomically (temp file + os.replace)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_state_path()

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("state file %s unreadable (%s); starting fresh", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def get_state(self, key: str) -> Any | None:
        return self._read().get(key)

    def put_state(self, key: str, value: Any) -> None:
        data = self._read()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def load_alert_engine(rules: Iterable[AlertRule], store: StateStore, key: str = "alerts") -> AlertEngine:
    """An engine with the saved state restored; unreadable or stale entries are logged and dropped."""
    try:
        saved = store.get_state(key)
    except Exception as exc:
        log.warning("alert state could not be read: %s", exc)
        saved = None
    engine = AlertEngine(rules, saved if isinstance(saved, dict) else None)
    for msg in engine.dropped:
        log.info("alert state: %s", msg)
    return engine


def save_alert_state(engine: AlertEngine, store: StateStore, key: str = "alerts") -> bool:
    """Persist the engine state; False (and a log line) if the store failed."""
    try:
        store.put_state(key, engine.to_dict())
    except Exception as exc:
        log.warning("alert state could not be saved: %s", exc)
        return False
    return True
