"""The first evaluation at start (or on connecting to a collector) is a baseline, not a stream of
"NO DATA → ALERT" events; a later move is an event."""

from __future__ import annotations

from datetime import timedelta

from engine import Engine
from engine.observations import PriceQuote

from crwv_testdata import T0, full_batch


def test_start_logs_no_status_change_and_a_later_move_does() -> None:
    e = Engine()
    e.ingest(full_batch(), now=T0)
    assert any(r.status == "alert" for r in e.snapshot.indicators.values())  # alerts exist at start...
    assert e.snapshot.status_log == ()  # ...but none is an event
    be = e.snapshot.indicators["h100_margin_6y"].get("breakeven_reported")
    at = T0 + timedelta(hours=1)
    e.ingest([PriceQuote(as_of=at, fetched_at=at, source="t", sku="H100 SXM", tier="marketplace", provider=p,
                         price=be * 0.8) for p in ("vast", "runpod")], now=at)  # below breakeven: ALERT
    moves = [(c.indicator, c.old, c.new) for c in e.snapshot.status_log]
    assert ("h100_margin_6y", "ok", "alert") in moves



def test_the_score_move_is_against_24_hours_earlier_on_the_data_clock() -> None:
    e = Engine()
    e.ingest(full_batch(), now=T0)
    assert e.score_change() == (None, "less than 24 h of history")
    base = e.snapshot.score.score
    be = e.snapshot.indicators["h100_margin_6y"].get("breakeven_reported")
    for h, price in ((1, be * 1.3), (30, be * 0.5)):  # calm, then a day later under breakeven
        at = T0 + timedelta(hours=h)
        e.ingest([PriceQuote(as_of=at, fetched_at=at, source="t", sku="H100 SXM", tier="marketplace", provider=p,
                             price=price) for p in ("vast", "runpod")], now=at)
    delta, basis = e.score_change()
    assert basis == "24h" and delta is not None and delta > 0
    assert e.snapshot.score.score - delta == e._hist["__score__"].value_at(
        e._hist["__score__"].last()[0] - 86400.0)
    assert base is not None
