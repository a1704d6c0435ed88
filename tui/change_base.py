"""The change base: every change column compares against one base at a time.

``b`` cycles the base — 24 h · previous close · since my last acknowledge · since start —
and every change column names it in its heading (``Δ 24h``, ``Δ close``, ``Δ ack``,
``Δ start``); the choice is kept in the user state file (``gpurisk.alerting.JsonStateFile``,
the same store as the alert state) and comes back at the next start.

All bases are times on the data's clock (the replay day in the demo):

* 24 h — the value 24 h earlier (market figures from the engine's own history, which the
  history database carries over restarts; others from what this run recorded);
* previous close — the last value before the data's current day began;
* since my last acknowledge — the value when alerts were last acknowledged (since start
  before any);
* since start — the first value this run saw.

A row *worsened* when its level went up, or, at the same level, its value moved the way
its thresholds call worse (a GPU rent: down). Worsened rows carry a red ✗; the header
counts the worsened indicators.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from engine.indicator import STATUS_ORDER
from gpurisk.view import SessionView

BASES = ("24h", "close", "ack", "start")
LABEL = {"24h": "Δ 24h", "close": "Δ close", "ack": "Δ ack", "start": "Δ start"}
WORDS = {"24h": "24 h", "close": "previous close", "ack": "since my last acknowledge", "start": "since start"}
KEY = "view"  # the entry of the user state file: {"change_base": "24h"}
WORSE = "✗"  # a worsened row (▼ is a move down: a rent, a margin)


class ChangeBase:
    """The chosen base, kept in ``store`` (anything with get_state/put_state; None: this run only)."""

    def __init__(self, store: Any = None) -> None:
        self.store = store
        self.base = "24h"
        try:
            saved = store.get_state(KEY) if store is not None else None
        except Exception:  # an unreadable state file: the default base
            saved = None
        if isinstance(saved, dict) and saved.get("change_base") in BASES:
            self.base = saved["change_base"]

    @property
    def label(self) -> str:
        return LABEL[self.base]

    def cycle(self) -> str:
        self.base = BASES[(BASES.index(self.base) + 1) % len(BASES)]
        if self.store is not None:
            try:
                saved = self.store.get_state(KEY)
                view = dict(saved) if isinstance(saved, dict) else {}
                view["change_base"] = self.base
                self.store.put_state(KEY, view)
            except Exception:  # kept for this run; the next start has the default
                pass
        return self.base

    # --- the base as a time ------------------------------------------------------------
    def since(self, session: SessionView, now: datetime) -> datetime | None:
        """The base on the data's clock (None for since start: the first value seen)."""
        data_now = session.data_now(now)
        log = session.events
        if self.base == "24h":
            return data_now - timedelta(hours=24)
        if self.base == "close":
            day = data_now.replace(hour=0, minute=0, second=0, microsecond=0)
            return day - timedelta(microseconds=1)
        if self.base == "ack" and log.last_ack is not None:
            return log.last_ack.at
        return None

    # --- indicators ----------------------------------------------------------------------
    def indicator(self, session: SessionView, res: Any, now: datetime) -> tuple[float | None, str]:
        """(value, level) of ``res`` at the base; (None, "no_data") when unknown."""
        log = session.events
        if self.base == "24h" and res.value is not None:
            delta, basis = session.engine.change(res.name)
            if basis == "24 h" and delta is not None:
                return res.value - delta, res.status
        from gpurisk.events import Mark

        if self.base == "ack" and log.last_ack is not None:
            return log.value_at(res.name, Mark(n=log.last_ack.n))
        at = self.since(session, now)
        if at is None:
            return log.first_value(res.name)
        return log.value_at(res.name, Mark(at=at))

    def delta(self, session: SessionView, res: Any, now: datetime) -> float | None:
        old, _ = self.indicator(session, res, now)
        if old is None or res.value is None:
            return None
        return res.value - old

    def worse(self, session: SessionView, res: Any, now: datetime) -> bool:
        """The level went up, or the value moved the way the thresholds call worse."""
        if res.threshold is None or res.value is None:
            return False
        old, old_status = self.indicator(session, res, now)
        if old is None:
            return False
        if old_status in STATUS_ORDER and res.status in STATUS_ORDER and old_status != "no_data":
            if STATUS_ORDER[res.status] != STATUS_ORDER[old_status]:
                return STATUS_ORDER[res.status] > STATUS_ORDER[old_status]
        d = res.value - old
        tol = 1e-9 * max(1.0, abs(old))
        return d > tol if res.threshold.higher_is_worse else d < -tol

    def worse_count(self, session: SessionView, now: datetime) -> int:
        return sum(1 for r in session.snapshot.indicators.values() if self.worse(session, r, now))

    # --- prices --------------------------------------------------------------------------
    def price_change(self, session: SessionView, row: Any, now: datetime) -> float | None:
        """The relative change of a price row against the base (24 h: the engine's own)."""
        if self.base == "24h":
            return row.change_24h
        times, values = session.engine.price_history(row.sku, row.tier)
        if not values:
            return None
        at = self.since(session, now)
        if at is None:  # since start: the first value this run saw
            at = session.events.started
        if at is None:
            return None
        t = at.timestamp()
        old = next((v for tm, v in zip(reversed(times), reversed(values), strict=False) if tm <= t), None)
        if old is None or not old or not math.isfinite(old):
            return None
        return row.price / old - 1.0
