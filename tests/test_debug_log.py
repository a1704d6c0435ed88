"""The debug log: where it is (--log, $GPURISK_LOG, the user log dir), rotation, what
goes there (a display error with its traceback, history write failures), and that
nothing reaches it raw (keys masked, control codes visible)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpurisk import __version__, logs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _detach_log():  # type: ignore[no-untyped-def]
    yield
    logs.close()


def run(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPURISK")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "gpurisk", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.subprocess
def test_log_path_from_flag_then_env_then_user_log_dir(tmp_path: Path) -> None:
    flag, env_log = tmp_path / "flag" / "debug.log", tmp_path / "env.log"
    out = run(["--log", str(flag), "feeds"], {"GPURISK_LOG": str(env_log)})
    assert out.returncode == 0, out.stderr
    assert f"start gpurisk {__version__}" in flag.read_text() and not env_log.exists()  # created, parent too
    out = run(["feeds"], {"GPURISK_LOG": str(env_log)})
    assert out.returncode == 0 and f"start gpurisk {__version__} feeds" in env_log.read_text()
    out = run(["feeds"], {"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)})
    assert out.returncode == 0
    assert "start gpurisk" in (tmp_path / "state" / "gpurisk" / "log" / "gpurisk.log").read_text()


@pytest.mark.subprocess
def test_an_explicit_log_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = run(["--log", str(tmp_path / "file" / "debug.log"), "feeds"], {})
    assert out.returncode == 2 and "cannot write the log" in out.stderr and "Traceback" not in out.stderr


def test_log_rotates_at_one_megabyte_keeping_three(tmp_path: Path) -> None:
    path = tmp_path / "debug.log"
    assert logs.setup(str(path)) == path
    line = "x" * 400
    for i in range(11_000):  # ~4.5 MB
        logging.getLogger("gpurisk.test").info("%d %s", i, line)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["debug.log", "debug.log.1", "debug.log.2", "debug.log.3"]
    assert all(p.stat().st_size <= logs.MAX_BYTES for p in tmp_path.iterdir())
    assert "10999 " in path.read_text()  # the newest is in the current file


def test_log_text_is_made_safe(tmp_path: Path) -> None:
    from feeds.textsafe import register_secret

    key = "sk-live-0123456789abcdef0123"
    register_secret(key)
    path = tmp_path / "debug.log"
    logs.setup(str(path))
    logging.getLogger("gpurisk.test").error("server said \x1b]0;pwned\x07 \x1b[31mred\x1b[0m Bearer %s", key)
    try:
        raise ValueError(f"\x1b]52;c;Y2xpcA==\x1b\\ {key}")
    except ValueError as exc:
        logs.error("boom", exc)
    raw = path.read_bytes()
    assert b"\x1b" not in raw and b"\x07" not in raw and key.encode() not in raw
    text = raw.decode()
    assert "\\x1b]0;pwned\\x07" in text and "***" in text and "Traceback (most recent call last):" in text


async def test_a_display_error_reaches_the_log_and_the_feeds_screen(tmp_path: Path) -> None:
    from gpurisk.session import demo_session
    from gpurisk.text.explain import feeds_text
    from tui.app import Dashboard

    path = tmp_path / "debug.log"
    logs.setup(str(path))
    session = demo_session()
    app = Dashboard(session, autopoll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.poll_now()

        def broken(*_a, **_k):  # type: ignore[no-untyped-def]
            raise ValueError("bad cell \x1b[31m")

        app.panels[0].apply = broken  # type: ignore[method-assign]
        await app.poll_now(["replay"])
        await pilot.pause()
        assert app.is_running
        assert session.last_internal_error and "display error: ValueError: bad cell" in session.last_internal_error
        plain = feeds_text(session, app.clock()).plain
        assert "last dashboard error:" in plain and "display error: ValueError: bad cell \\x1b[31m" in plain
        assert f"details in the debug log: {path}\n" in plain and "\\x0a" not in plain
    text = path.read_text()
    assert "ERROR gpurisk: display error: ValueError: bad cell \\x1b[31m" in text
    assert "Traceback (most recent call last):" in text and "in broken" in text


async def test_a_failed_history_write_is_logged_once_and_shown(tmp_path: Path) -> None:
    from gpurisk.session import demo_session
    from gpurisk.store import HistoryStore, StoreError

    path = tmp_path / "debug.log"
    logs.setup(str(path))
    s = demo_session()
    s.store = HistoryStore(tmp_path / "h.sqlite3")

    def full() -> int:
        raise StoreError("history write failed: database or disk is full")

    s.store.flush = full  # type: ignore[method-assign]
    await s.poll_all()
    s.flush()
    s.flush()
    assert s.last_internal_error and "database or disk is full" in s.last_internal_error
    assert path.read_text().count("database or disk is full") == 1  # a run of failures: one line
    del s.store.flush
    s.flush()
    assert "history writes work again" in path.read_text()
    await s.aclose()


def test_a_crash_exits_1_and_its_traceback_is_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gpurisk.session import demo_session
    from tui.app import Dashboard, run_dashboard

    def crash(self, snap) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom in apply")

    monkeypatch.setattr(Dashboard, "apply", crash)
    path = tmp_path / "debug.log"
    logs.setup(str(path))
    assert run_dashboard(demo_session(), headless=True, autopoll=False) == 1
    text = path.read_text()
    assert "ERROR gpurisk: crash: RuntimeError: boom in apply" in text and "in crash" in text


def test_the_start_line_names_the_system_as_platform_does(tmp_path: Path) -> None:
    """The start line's system is ``platform.platform()``'s, got without its C library
    probe (which reads the Python binary through on every start)."""
    import platform

    assert logs.system() == platform.platform()
    logs.setup(str(tmp_path / "x.log"))
    logs.started(["feeds"])
    line = (tmp_path / "x.log").read_text()
    assert f"feeds (python {platform.python_version()}, {platform.platform()}, TERM=" in line
