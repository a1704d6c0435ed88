"""The alert hook is bounded and visible.

Bounded: a hook that floods stdout or stderr costs at most the output cap (64 KiB per
stream) of memory, and the event loop keeps running while it does. Visible: a hook
that fails or times out leaves a JSON line in the alert log, ``AlertSink.last_failure``,
and a block on the feeds screen (``f``).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from engine.alerts import AlertEvent
from gpurisk.alerting import AlertSink
from gpurisk.hook import OUTPUT_CAP

EV = AlertEvent(rule="hhi > 2500", indicator="hhi", old="normal", new="firing",
                at=datetime(2026, 1, 5, tzinfo=UTC), value=3000.0, threshold=2500.0, comparison=">",
                severity="warning", notify=True, reason="")


def log_lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
async def test_flooding_hook_is_capped_and_does_not_block_the_loop(tmp_path: Path, stream: str) -> None:
    redirect = "" if stream == "stdout" else " >&2"
    # ~1 GB if it were all read: the cap must hold memory, the pipe closure must end it early
    hook = f"cat >/dev/null; head -c 1000000000 /dev/zero{redirect}"
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=hook, hook_timeout_s=20)
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    peak = rss0
    gaps: list[float] = []
    t0 = time.monotonic()
    sink.handle([EV])
    assert time.monotonic() - t0 < 0.25  # handle() never waits for the hook
    last = time.monotonic()
    while sink._tasks:  # the loop keeps ticking while the hook floods
        await asyncio.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now
        peak = max(peak, proc.memory_info().rss)
        assert now - t0 < 15, "flooding hook not ended"
    await sink.drain()
    assert (peak - rss0) < 50 * 1024 * 1024
    assert max(gaps) < 0.5
    if stream == "stdout":
        assert len(sink.last_output) == OUTPUT_CAP and set(sink.last_output) == {0}
    # killed by the closed pipe: a failure, said so, with the dropped output noted
    assert sink.last_failure is not None and "output over the cap dropped" in sink.last_failure.message


async def test_hook_output_under_the_cap_is_kept_whole(tmp_path: Path) -> None:
    sink = AlertSink(tmp_path / "alerts.jsonl", hook="cat; echo done")
    sink.handle([EV])
    await sink.drain()
    out = sink.last_output.decode()
    assert json.loads(out.splitlines()[0])["rule"] == "hhi > 2500" and out.endswith("done\n")
    assert sink.last_failure is None and not sink.failures


async def test_failing_hook_is_in_the_alert_log_and_last_failure(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    sink = AlertSink(log, hook="echo 'no route to pager' >&2; exit 3")
    sink.handle([EV])
    await sink.drain()
    lines = log_lines(log)
    assert [ln.get("event") for ln in lines] == [None, "hook_error"]
    assert lines[1]["error"] == "hook exited 3: no route to pager" and lines[1]["rule"] == "hhi > 2500"
    assert datetime.fromisoformat(lines[1]["at"]).tzinfo is not None
    fail = sink.last_failure
    assert fail is not None and fail.message == "hook exited 3: no route to pager" and fail.rule == "hhi > 2500"
    assert (datetime.now(UTC) - fail.at).total_seconds() < 30


async def test_timed_out_hook_is_killed_logged_and_shown(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    sink = AlertSink(log, hook="sleep 30", hook_timeout_s=0.5)
    t = time.monotonic()
    sink.handle([EV])
    await sink.drain()
    assert time.monotonic() - t < 5
    assert log_lines(log)[-1]["error"] == "hook timed out after 0.5s"
    assert sink.last_failure is not None and sink.last_failure.message == "hook timed out after 0.5s"


async def test_feeds_screen_shows_the_failed_hook(tmp_path: Path) -> None:
    from gpurisk.session import demo_session
    from gpurisk.text.explain import feeds_text

    session = demo_session()
    sink = AlertSink(tmp_path / "alerts.jsonl", hook="sleep 30", hook_timeout_s=0.3)
    session.alert_sink = sink
    now = datetime.now(UTC)
    assert "alert hook" not in feeds_text(session, now).plain  # nothing to say while hooks work
    sink.handle([EV])
    await sink.drain()
    text = feeds_text(session, now).plain
    block = text[text.index("alert hook"):]
    assert "ERROR" in block and "rule hhi > 2500" in block and "last error: hook timed out after 0.3s" in block
    await session.aclose()
