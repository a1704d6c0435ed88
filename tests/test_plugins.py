"""Third-party feeds register through the `gpurisk.feeds` entry-point group.

The test installs a tiny plugin distribution (a package plus its .dist-info with
entry_points.txt) into a temporary site directory, then checks that the registry,
the CLI and a config-driven session find and run it."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from feeds import registry

HERE = Path(__file__).resolve().parent


@pytest.fixture()
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    shutil.copytree(HERE / "plugin_pkg" / "gpurisk_demo_plugin", site / "gpurisk_demo_plugin")
    dist = site / "gpurisk_demo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gpurisk-demo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[gpurisk.feeds]\ndemo_index = gpurisk_demo_plugin:ConstantIndexFeed\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site


def test_registry_finds_plugin(plugin_site: Path) -> None:
    found = registry.discover()
    assert "demo_index" in found
    assert found["demo_index"].origin == "plugin (gpurisk-demo-plugin)"
    assert found["demo_index"].load().__name__ == "ConstantIndexFeed"
    assert found["replay"].origin == "built-in"


def test_plugin_runs_through_session(plugin_site: Path, tmp_path: Path) -> None:
    from gpurisk.config import load_config
    from gpurisk.session import Session

    cfg_path = tmp_path / "c.toml"
    cfg_path.write_text("[feeds.idx]\ntype = 'demo_index'\ninterval = 10\n")
    session = Session.from_config(load_config(cfg_path), history=False)
    snap = asyncio.run(session.poll("idx"))
    row = snap.price("H100 SXM", "index")
    assert row is not None and row.price == 2.5
    assert row.sources[0].provider == "[red]demo-index" and row.sources[0].feed == "idx"
    assert session.status["idx"].state == "OK"


@pytest.mark.subprocess
def test_cli_lists_plugin(plugin_site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(plugin_site)}
    out = subprocess.run([sys.executable, "-m", "gpurisk", "feeds"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("demo_index"))
    assert "plugin (gpurisk-demo-plugin)" in line and "constant H100 index" in line
