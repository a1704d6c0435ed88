"""/healthz says when the history is not kept (disk full): not a bare "up"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from conditions import FullDisk

from engine.observations import RateObs
from gpurisk.session import demo_session
from gpurisk.store import HistoryStore, StoreError

from serve_helpers import collector


async def test_healthz_says_the_disk_is_full(tmp_path: Path) -> None:
    s = demo_session()
    async with collector(s) as c, httpx.AsyncClient() as h:
        hz = (await h.get(f"{c.url}/healthz")).json()
        assert hz["up"] is True and hz["status"] == "ok" and hz["history"]["state"] == "off"
        s.store = HistoryStore(tmp_path / "h.sqlite3")
        s.store._db = FullDisk(s.store._db)  # type: ignore[assignment]
        s.store.add([RateObs(as_of=datetime.now(UTC), fetched_at=datetime.now(UTC), source="t",
                             series="SOFR", value=4.0)])
        with pytest.raises(StoreError):
            s.store.flush()
        hz = (await h.get(f"{c.url}/healthz")).json()
        assert hz["status"] == "degraded: history full"
        assert hz["history"]["state"] == "full" and hz["history"]["pending"] == 1 and hz["history"]["ok"] is False
        s.store._db = s.store._db.db
        s.store.close()
