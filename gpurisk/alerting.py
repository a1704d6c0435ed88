"""Side effects of alerts: the JSON-lines alert log, the shell hook, the bell, the state file.

Why separate from ``engine.alerts``: the rule engine stays pure and testable with
hand-made times; everything that touches disk, processes or the terminal is here,
and none of it may block or crash the dashboard. A failing hook or an unwritable
log is logged (``logging``) and counted in ``AlertSink.failures``, never raised.
Nothing written contains a secret: URL credentials and key-like query parameters
are masked, and so is any value of a secret-looking environment variable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

import platformdirs

from engine.alerts import AlertEngine, AlertEvent, AlertRule
from feeds.textsafe import safe_obj

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


class AlertSink:
    """Record alert events and notify: log line, bell, shell hook (JSON on stdin)."""

    def __init__(self, log_path: str | Path | None = None, hook: str | None = None, hook_timeout_s: float = 10.0,
                 bell: bool = False, bell_fn: Callable[[], None] | None = None, max_log_bytes: int = 5_000_000,
                 log_all: bool = False) -> None:
        self.log_path = Path(log_path) if log_path else default_log_path()
        self.hook = hook.strip() if hook and hook.strip() else None
        self.hook_timeout_s = hook_timeout_s
        self.bell = bell
        self.bell_fn = bell_fn or _default_bell
        self.max_log_bytes = max_log_bytes
        self.log_all = log_all  # False: firings, repeats, resolutions and a firing rule losing its data
        self.failures: deque[str] = deque(maxlen=50)
        self.hook_runs = 0
        self._tasks: set[asyncio.Task[None]] = set()
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
                    except Exception as exc:  # noqa: BLE001 - a bell must never take the UI down
                        self._fail(f"bell: {exc}")
                if self.hook:
                    self._spawn(json.dumps(record, ensure_ascii=False, default=str).encode() + b"\n")
        return written

    def _fail(self, msg: str) -> None:
        self.failures.append(msg)
        log.warning("alert %s", msg)

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        try:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            if self.log_path.exists() and self.log_path.stat().st_size > self.max_log_bytes:
                os.replace(self.log_path, self.log_path.with_name(self.log_path.name + ".1"))
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(line)
        except OSError as exc:
            self._fail(f"log {self.log_path}: {exc.strerror or exc}")

    # -- hook ------------------------------------------------------------------------------------
    def _spawn(self, data: bytes) -> None:
        self.hook_runs += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            t = threading.Thread(target=self._run_sync, args=(data,), name="gpurisk-alert-hook", daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()
            return
        task = loop.create_task(self._run_async(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _report(self, rc: int | None, err: bytes) -> None:
        if rc:
            tail = err.decode("utf-8", "replace").strip()[-300:]
            self._fail(f"hook exited {rc}: {redact(tail)}" if tail else f"hook exited {rc}")

    async def _run_async(self, data: bytes) -> None:
        assert self.hook is not None
        try:
            proc = await asyncio.create_subprocess_shell(
                self.hook, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            self._fail(f"hook could not start: {exc}")
            return
        try:
            _, err = await asyncio.wait_for(proc.communicate(data), self.hook_timeout_s)
        except asyncio.TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
            self._fail(f"hook timed out after {self.hook_timeout_s:g}s")
            return
        self._report(proc.returncode, err)

    def _run_sync(self, data: bytes) -> None:
        assert self.hook is not None
        try:
            proc = subprocess.Popen(self.hook, shell=True, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            self._fail(f"hook could not start: {exc}")
            return
        try:
            _, err = proc.communicate(data, timeout=self.hook_timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.communicate()
            self._fail(f"hook timed out after {self.hook_timeout_s:g}s")
            return
        self._report(proc.returncode, err)

    async def drain(self) -> None:
        """Wait for running hooks (shutdown, tests); each is bounded by the hook timeout."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.to_thread(self.join)

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout if timeout is not None else self.hook_timeout_s + 5)


def _kill_group(pid: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)  # the shell and whatever it started
        else:  # pragma: no cover - Windows
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


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
    except Exception as exc:  # noqa: BLE001 - any store; a broken one must not stop the app
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
    except Exception as exc:  # noqa: BLE001
        log.warning("alert state could not be saved: %s", exc)
        return False
    return True
