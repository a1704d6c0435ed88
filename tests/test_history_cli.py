"""Live history across restarts, and `gpurisk export`, through the real session and CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gpurisk.config import load_config
from gpurisk.session import Session

CRI = Path(__file__).resolve().parent / "fixtures" / "feeds" / "cri-h100-index.csv"


def config(tmp_path: Path) -> Path:
    p = tmp_path / "gpurisk.toml"
    p.write_text(f"""
[app]
history_path = "{tmp_path / 'h.sqlite3'}"
[feeds.cri]
type = "csv"
path = "{CRI}"
date_column = "publication_date"
value_column = "cri_h100"
sku = "H100 SXM"
provider = "CRI-H100"
""")
    return p


async def test_history_survives_a_restart(tmp_path: Path) -> None:
    cfg = load_config(config(tmp_path))
    first = Session.from_config(cfg)
    assert not first.demo and first.store is not None
    snap = await first.poll("cri")
    assert snap.price("H100 SXM", "index").price == 1.735
    await first.aclose()  # flushes

    second = Session.from_config(load_config(config(tmp_path)))
    row = second.snapshot.price("H100 SXM", "index")  # before any poll
    assert row is not None and row.price == 1.735 and row.history == (1.6021, 1.735)
    assert row.sources[0].source.endswith("cri-h100-index.csv")
    await second.aclose()


@pytest.mark.subprocess
async def test_export_csv_and_json(tmp_path: Path) -> None:
    path = config(tmp_path)
    s = Session.from_config(load_config(path))
    await s.poll("cri")
    await s.aclose()
    env = {**os.environ, "GPURISK_CONFIG": ""}
    out = subprocess.run([sys.executable, "-m", "gpurisk", "--config", str(path), "export", "--format", "csv"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [float(r["value"]) for r in rows] == [1.6021, 1.735]
    assert "exported 2 rows" in out.stderr
    out = subprocess.run([sys.executable, "-m", "gpurisk", "--config", str(path), "export", "--format", "json",
                          "--since", "2026-03-06"], capture_output=True, text=True, env=env, timeout=60)
    assert [r["value"] for r in json.loads(out.stdout)] == [1.735]


@pytest.mark.subprocess
def test_export_without_history_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[app]\nhistory_path = "{tmp_path / "none.sqlite3"}"\n')
    out = subprocess.run([sys.executable, "-m", "gpurisk", "--config", str(path), "export"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "no history" in out.stderr and "Traceback" not in out.stderr
