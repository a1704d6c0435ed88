"""Run the alert hook: a shell command, bounded in time, memory and what it can see.

* Environment: PATH, HOME, LANG (and LC_ALL, TZ when set) plus the names the config
  lists in ``[app] alert_env`` — never the parent's API keys and tokens.
* Output: the first :data:`OUTPUT_CAP` bytes of stdout and of stderr are kept; then our
  end of the pipe is closed, so a hook that floods its output gets EPIPE (or SIGPIPE)
  instead of the dashboard's memory.
* Time: ``timeout`` seconds, then the hook's whole process group is killed.

Runs in the calling thread (the alert sink calls it from a worker thread): nothing here
touches an event loop.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import IO, Iterable, Mapping

#: What a hook sees of the environment: these (when set), plus the config's ``[app] alert_env``.
ENV_BASE = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
#: Bytes kept of each of a hook's output streams; past it the pipe is closed and the rest dropped.
OUTPUT_CAP = 64 * 1024


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
    res = HookResult()
    try:
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, env=environment(env_names))
    except OSError as exc:
        res.error = f"hook could not start: {exc}"
        return res
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
    for t in threads:
        t.join(1.0)  # a grandchild that kept the pipes open does not hold us
    res.stdout, res.stderr, res.cut = out[0], out[1], any(cut)
    return res


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


def kill_group(pid: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signal.SIGKILL)  # the shell and whatever it started
        else:  # pragma: no cover - Windows
            os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


__all__ = ["ENV_BASE", "OUTPUT_CAP", "HookResult", "environment", "run", "kill_group"]
