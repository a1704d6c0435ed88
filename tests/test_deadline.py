"""One-shot commands end within their deadline whatever the sources do.

A local server that never answers (it holds each request for 60 s) stands for a hung
source. With ``--deadline 2``, `feeds check`, `snapshot` and `explain` end well within
10 s, name the feed that ran out and exit 1; the other feeds still report.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from gpurisk.cli import build_parser

from test_outputs_inert import gpurisk, server  # noqa: F401 - the local server fixture

HANG = 60.0  # the server's "never"
MSG = "no answer within the 2 s deadline"


def hang_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "hang.toml"
    path.write_text("\n".join([
        "[feeds.sample_rates]", "[feeds.sample_financials]", "[feeds.sample_equity]",
        "[feeds.hung]", 'type = "http_json"', f'url = "{url}/hang"', 'price_path = "price"', 'sku = "H100 SXM"',
        "timeout = 50", "retries = 0", ""]), encoding="utf-8")
    return path


@pytest.fixture
def hung(server: Any, tmp_path: Path) -> Path:  # noqa: F811
    server.route("/hang", server.Reply(200, [{"price": 2.0}], delay=HANG))
    return hang_config(tmp_path, server.url)


@pytest.mark.parametrize("command", [("feeds", "check"), ("snapshot", "--json"), ("explain", "current_ratio")])
def test_one_shot_command_ends_within_its_deadline(hung: Path, command: tuple[str, ...]) -> None:
    t = time.monotonic()
    proc = gpurisk("--config", str(hung), *command, "--deadline", "2", timeout=30)
    wall = time.monotonic() - t
    assert wall < 10, f"{command} took {wall:.1f} s"
    assert proc.returncode == 1, proc.stderr
    assert f"gpurisk: hung: {MSG}" in proc.stderr.splitlines()
    assert "Traceback" not in proc.stderr
    if command[0] == "feeds":
        rows = {ln.split()[0]: ln for ln in proc.stdout.splitlines()[1:]}
        assert rows["hung"].split()[1] == "error" and MSG in rows["hung"]
        assert rows["sample_rates"].split()[1] == "ok"  # the others finished and report
    elif command[0] == "snapshot":
        feeds = {f["name"]: f for f in json.loads(proc.stdout)["feeds"]}
        assert feeds["hung"]["state"] == "ERROR" and feeds["hung"]["last_error"] == MSG
        assert feeds["sample_rates"]["state"] == "OK"
    else:
        assert proc.stdout.startswith("Current ratio")  # what arrived is still explained


def test_default_deadline_is_60_s_and_must_be_a_positive_number() -> None:
    p = build_parser()
    for cmd in (["feeds", "check"], ["snapshot", "--json"], ["explain", "hhi"]):
        assert p.parse_args(cmd).deadline == 60.0
    assert p.parse_args(["snapshot", "--deadline", "2.5"]).deadline == 2.5
    for bad in ("nan", "inf", "0", "-1", "soon"):
        proc = gpurisk("snapshot", "--deadline", bad)
        assert proc.returncode == 2 and "--deadline" in proc.stderr, bad


async def test_a_cancelled_poll_leaves_the_session_usable(server: Any, tmp_path: Path) -> None:  # noqa: F811
    """The deadline cancels the hung poll; the same session then polls that feed again and
    gets its data (nothing half-done is left behind in the runner or the HTTP client)."""
    from gpurisk.commands import _close, _poll_all
    from gpurisk.config import load_config
    from gpurisk.session import Session

    server.route("/hang", [server.Reply(200, [{"price": 2.0}], delay=HANG), server.Reply(200, [{"price": 2.25}])])
    session = Session.from_config(load_config(hang_config(tmp_path, server.url)), history=False)
    t = time.monotonic()
    got = await _poll_all(session, session.poll, 1.0, close=False)
    assert time.monotonic() - t < 5
    assert got["hung"] is None and got["sample_rates"] is not None
    st = session.status["hung"]
    assert st.state == "ERROR" and st.last_error == "no answer within the 1 s deadline"
    await asyncio.wait_for(session.poll("hung"), 10)
    assert st.state == "OK" and st.last_error == ""
    assert session.snapshot.prices["H100 SXM/index"].price == pytest.approx(2.25)
    await _close(session)
