"""Run the alert hook: a shell command, bounded in time, memory and what it can see.

* Environment: PATH, HOME, LANG (and LC_ALL, TZ when set) plus the names the config
  lists in ``[app] alert_env`` — never the parent's API keys and tokens.
* Output: the first :data:`OUTPUT_CAP` bytes of stdout and of stderr are kept; then our
  end of the pipe is closed, so a hook that floods its output gets EPIPE (or SIGPIPE)
  instead of the dashboard's memory.
* Time: ``timeout`` seconds, then the hook's whole process group is killed.
* Children: the hook runs in a process group (and session) of its own; when its shell
  ends — or times out, or gpurisk exits while it runs — the whole group is killed, so
  ``sleep 1000 &`` does not outlive it. Processes that leave the group (``setsid``, a
  daemon's double fork) still carry the run's marker in their environment
  (``GPURISK_HOOK_RUN``): on Linux they are found in ``/proc`` and killed too. A process
  that also clears its environment (``env -i``) escapes; a hook that must start something
  lasting should hand it to a service manager (``systemd-run --user``).

Runs in the calling thread (the alert sink calls it from a worker thread): nothing here
touches an event loop.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO

#: What a hook sees of the environment: these (when set), plus the config's ``[app] alert_env``.
ENV_BASE = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
#: Bytes kept of each of a hook's output streams; past it the pipe is closed and the rest dropped.
OUTPUT_CAP = 64 * 1024
#: Set in each run's environment to a fresh token: how its escaped descendants are found.
MARK = "GPURISK_HOOK_RUN"

_running: dict[int, str] = {}  # process group -> marker of the hooks running now
_running_lock = threading.Lock()


@dataclass
class HookResult:
    returncode: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    cut: bool = False  # some output was over the cap and dropped
    timed_out: bool = False
    error: str = ""  # could not start


def environment(names: Iterable[str] = (), environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The minimal environment of the alert hook."""
    env = os.environ if environ is None else environ
    out = {k: env[k] for k in (*ENV_BASE, *names) if k in env}
    out.setdefault("PATH", os.defpath)
    return out


def run(command: str, data: bytes, timeout: float, env_names: Iterable[str] = (),
        cap: int = OUTPUT_CAP) -> HookResult:
    """Run ``command`` through the shell with ``data`` on stdin. Never raises."""
    import secrets  # (hmac, hashlib: not on the way to the first frame)

    res = HookResult()
    token = secrets.token_hex(8)
    env = {**environment(env_names), MARK: token}
    try:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, env=env)
    except OSError as exc:
        res.error = f"hook could not start: {exc}"
        return res
    with _running_lock:
        _running[proc.pid] = token
    try:
        _wait(proc, res, data, timeout, cap)
    finally:
        end(proc.pid, token)
        with _running_lock:
            _running.pop(proc.pid, None)
    return res


def _wait(proc: subprocess.Popen[bytes], res: HookResult, data: bytes, timeout: float, cap: int) -> None:
    out: list[bytes] = [b"", b""]
    cut = [False, False]
    threads = [threading.Thread(target=_read_capped, args=(s, cap, out, cut, i), daemon=True)
               for i, s in enumerate((proc.stdout, proc.stderr))]
    threads.append(threading.Thread(target=_write_stdin, args=(proc.stdin, data), daemon=True))
    for t in threads:
        t.start()
    try:
        res.returncode = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        proc.wait()
        res.timed_out = True
    kill_group(proc.pid)  # what the shell left running in the background: its pipes close too
    for t in threads:
        t.join(1.0)  # an escaped grandchild that kept the pipes open does not hold us
    res.stdout, res.stderr, res.cut = out[0], out[1], any(cut)


def _read_capped(stream: IO[bytes] | None, cap: int, out: list[bytes], cut: list[bool], i: int) -> None:
    if stream is None:
        return
    buf = bytearray()
    try:
        while len(buf) < cap:
            chunk = stream.read1(min(65536, cap - len(buf)))  # type: ignore[attr-defined]
            if not chunk:
                break
            buf += chunk
        else:
            cut[i] = bool(stream.read1(1))  # type: ignore[attr-defined]
    except (OSError, ValueError):
        pass
    finally:
        out[i] = bytes(buf)
        try:
            stream.close()
        except OSError:
            pass


def _write_stdin(stream: IO[bytes] | None, data: bytes) -> None:
    if stream is None:
        return
    try:
        stream.write(data)
    except (OSError, ValueError):  # a hook that does not read its input is fine
        pass
    finally:
        try:
            stream.close()
        except OSError:
            pass


def end(pgid: int, token: str) -> None:
    """Kill what is left of one run: its process group, then the processes that left the
    group but carry its marker."""
    kill_group(pgid)
    for _ in range(3):  # one that forked while we looked is caught by the next look
        if not kill_marked(token):
            break


def kill_marked(token: str) -> int:
    """SIGKILL every process whose environment holds ``MARK=token`` (Linux ``/proc``);
    returns how many were found."""
    needle = f"{MARK}={token}".encode()
    try:
        pids = [int(e.name) for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:  # no /proc: the process group is all there is
        return 0
    found = 0
    for pid in pids:
        if pid == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if needle not in fh.read().split(b"\0"):
                    continue
            os.kill(pid, signal.SIGKILL)
            found += 1
        except OSError:  # gone, or another user's
            continue
    return found


@atexit.register
def end_all() -> None:
    """gpurisk exits: hooks still running (in worker threads) end with it."""
    with _running_lock:
        running = list(_running.items())
    for pgid, token in running:
        end(pgid, token)


def kill_group(pid: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)  # the shell and whatever it started
        else:  # pragma: no cover - Windows
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


__all__ = ["ENV_BASE", "MARK", "OUTPUT_CAP", "HookResult", "end", "end_all", "environment", "kill_group", "kill_marked",
           "run"]
