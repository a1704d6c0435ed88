"""The feed status line stays one line at any width and keeps problems in view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feeds.runner import FeedStatus
from tui.widgets.bars import feed_text

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class FakeSession:
    """What the feed line and the feeds screen read of a local session (gpurisk.view.SessionView)."""

    remote = False
    demo = False
    history_state = None
    history_error: str | None = None
    last_internal_error: str | None = None
    alert_sink = None
    peers_built = None

    def __init__(self, statuses: list[FeedStatus]) -> None:
        self.status = {s.name: s for s in statuses}

    def feed_names(self) -> list[str]:
        return list(self.status)


def ok(name: str) -> FeedStatus:
    return FeedStatus(name, 60.0, state="OK", last_ok=NOW - timedelta(seconds=20))


def test_many_feeds_fold_healthy_ones_and_never_wrap() -> None:
    bad = FeedStatus("sec_edgar", 3600, state="ERROR", last_error="HTTP 403 from data.sec.gov: " + "x" * 200,
                     last_ok=NOW - timedelta(hours=3))
    limited = FeedStatus("vastai", 120, state="RATE-LIMITED", last_error="HTTP 429, retry in 120 s")
    session = FakeSession([ok("runpod"), ok("azure"), ok("aws"), ok("fred"), bad, limited, ok("equity")])
    for width in (80, 100, 120, 200):
        text = feed_text(session, NOW, width)
        assert "\n" not in text.plain and text.cell_len <= width - 1
        assert "sec_edgar" in text.plain and "ERROR" in text.plain and "vastai" in text.plain
    narrow = feed_text(session, NOW, 80).plain
    assert "5 OK" in narrow and "runpod" not in narrow  # healthy feeds folded into a count
    wide = feed_text(session, NOW, 200).plain
    assert "runpod OK now" in wide and "HTTP 403" in wide and "3h" in wide  # stale data shows its age


def test_feed_error_text_is_inert() -> None:
    bad = FeedStatus("x", 60, state="ERROR", last_error="[red]boom\x1b[2J")
    plain = feed_text(FakeSession([bad]), NOW, 120).plain
    assert "[red]boom\\x1b[2J" in plain


def test_stale_data_shows_its_date_and_limit_though_the_fetch_is_fresh() -> None:
    from feeds.freshness import DAILY

    fred = FeedStatus("fred", 21600, state="OK", last_ok=NOW - timedelta(seconds=5),
                      last_as_of=datetime(2024, 4, 18, tzinfo=UTC), freshness=DAILY)
    text = feed_text(FakeSession([ok("vastai"), fred]), NOW, 120).plain
    assert "fred STALE data 2024-04-18 (limit 5 business days)" in text
    assert "data 2024-04-18 (limit 5 business days)" in text
    fred.last_as_of = NOW - timedelta(days=1)  # yesterday's value: fresh
    assert "fred OK" in feed_text(FakeSession([ok("vastai"), fred]), NOW, 120).plain


def test_feeds_screen_gives_limit_and_reason() -> None:
    from feeds.freshness import DAILY
    from gpurisk.text.explain import feeds_text

    class Feed:
        def describe(self) -> str:
            return "FRED"

    fred = FeedStatus("fred", 21600, state="OK", last_ok=NOW - timedelta(seconds=5),
                      last_as_of=datetime(2024, 4, 18, tzinfo=UTC), freshness=DAILY)
    session = FakeSession([fred, ok("vastai")])
    session.feed = lambda name: Feed()  # type: ignore[attr-defined]
    plain = feeds_text(session, NOW).plain
    assert "fred   STALE" in plain
    assert "freshness limit: 5 business days · STALE data 2024-04-18 (limit 5 business days)" in plain
    assert "freshness limit: none" in plain  # vastai's status here carries no limit


def test_feeds_screen_words_read_as_english() -> None:
    import asyncio
    from datetime import datetime

    from gpurisk.session import demo_session
    from gpurisk.text.explain import feeds_text

    s = demo_session()
    asyncio.run(s.poll_all())
    text = feeds_text(s, datetime.now(UTC)).plain
    assert "data received just now" in text and "now ago" not in text


def test_feeds_screen_lists_the_peers_feed_once_built() -> None:
    import asyncio
    import re
    from datetime import datetime

    from gpurisk.session import demo_session
    from gpurisk.text.explain import feeds_text

    s = demo_session()
    asyncio.run(s.poll_all())
    assert "sample_peers" not in feeds_text(s, datetime.now(UTC)).plain  # not built: nothing polled yet
    ps = s.peers
    asyncio.run(ps.refresh())
    text = feeds_text(s, datetime.now(UTC)).plain
    assert re.search(r"sample_peers   (OK|STALE)   demo \(sample data\) · peers screen \(P\)", text)
    assert "Peers' reported figures from sample_data/peers/" in text


def test_a_connected_screen_with_the_link_down_says_how_old_the_last_event_is() -> None:
    """--connect, collector gone: the feeds' ages stand still on the collector's clock, so the
    line leads with the wall-clock age of the last event received."""
    from gpurisk.remote import RemoteSession

    r = RemoteSession("http://collector.test")
    r._status = {"replay": ok("replay")}
    r.last_event_at = NOW - timedelta(minutes=3, seconds=5)
    assert "last event" not in feed_text(r, NOW, 120).plain  # connected: nothing to say
    r.disconnected_since = NOW - timedelta(minutes=3)
    assert feed_text(r, NOW, 120).plain.startswith(" last event 3m ago │ replay")
    r.last_event_at = NOW - timedelta(seconds=4)
    assert "last event just now" in feed_text(r, NOW, 120).plain
