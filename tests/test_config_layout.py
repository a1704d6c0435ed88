"""``[layout]``: panel order, the very wide panel and the grid's sizes. A good table parses into
a Layout the session carries; each bad value is one line naming file, key and problem, exit 2,
no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpurisk.config import ConfigFileError, load_config
from gpurisk.config_layout import PANELS, Layout
from gpurisk.session import Session

from test_outputs_inert import gpurisk


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


def test_no_table_is_todays_layout(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[app]\ncompany = "CRWV"\n'))
    assert cfg.layout == Layout() and cfg.layout.order == PANELS
    assert cfg.layout.wide_panel == "risk" and cfg.layout.columns is None and cfg.layout.rows is None


def test_a_full_table_reaches_the_session(tmp_path: Path) -> None:
    text = ('[layout]\norder = ["Risk", "prices", " debt ", "customers"]\nwide = "Customers"\n'
            "columns = [1, 1.5]\nrows = [2, 1]\n")
    cfg = load_config(write(tmp_path, text))
    assert cfg.layout == Layout(("risk", "prices", "debt", "customers"), "customers", (1.0, 1.5), (2.0, 1.0))
    assert cfg.layout.wide_panel == "customers"
    assert Session.from_config(cfg, history=False).config.layout is cfg.layout


def test_wide_none_keeps_the_grid(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, '[layout]\nwide = "none"\n')).layout.wide_panel is None


BAD = [
    ('layout = "risk"\n', "layout", "must be a table"),
    ('[layout]\nsize = 2\n', "layout.size", "unknown key"),
    ('[layout]\norder = "risk"\n', "layout.order", "must be a list of the panels"),
    ('[layout]\norder = ["prices", "debt", "customers", "charts"]\n', "layout.order[3]", "unknown panel 'charts'"),
    ('[layout]\norder = ["prices", "debt", 3, "risk"]\n', "layout.order[2]", "must be a panel name"),
    ('[layout]\norder = ["prices", "debt", "debt", "risk"]\n', "layout.order[2]", "'debt' is listed twice"),
    ('[layout]\norder = ["prices", "debt"]\n', "layout.order", '"customers", "risk" are missing'),
    ('[layout]\nwide = "left"\n', "layout.wide", 'must be "auto", "none" or a panel'),
    ('[layout]\nwide = true\n', "layout.wide", 'must be "auto", "none" or a panel'),
    ('[layout]\ncolumns = [1, 0]\n', "layout.columns", "two positive numbers"),
    ('[layout]\ncolumns = [1, 1, 1]\n', "layout.columns", "two positive numbers"),
    ('[layout]\nrows = ["1fr", "1fr"]\n', "layout.rows", "two positive numbers"),
    ('[layout]\nrows = [true, 1]\n', "layout.rows", "two positive numbers"),
    ('[layout]\nrows = [1, 50]\n', "layout.rows", "at most 10 times the smaller"),
    ('[layout]\nrows = [1, nan]\n', "layout.rows[1]", "finite number"),
]


@pytest.mark.parametrize(("body", "key", "words"), BAD)
def test_bad_layout_names_file_key_and_problem(tmp_path: Path, body: str, key: str, words: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigFileError) as exc:
        load_config(path)
    assert exc.value.key == key and words in exc.value.problem and str(path) in str(exc.value)


@pytest.mark.subprocess
def test_cli_exit_2_one_line(tmp_path: Path) -> None:
    proc = gpurisk("--config", str(write(tmp_path, BAD[5][0])), "snapshot", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "layout.order[2]" in lines[0] and "c.toml" in lines[0] and "twice" in lines[0]


def test_connect_uses_the_local_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--connect``: the collector sends its settings, not its layout; the dashboard gets ours."""
    import tui.app
    import tui.terminal
    from gpurisk.cli import main

    got: dict[str, object] = {}
    monkeypatch.setattr(tui.terminal, "refuse_without_terminal", lambda: False)
    monkeypatch.setattr(tui.app, "run_dashboard", lambda session, **options: got.update(options) or 0)
    path = write(tmp_path, '[layout]\nwide = "none"\n')
    assert main(["--config", str(path), "--connect", "http://127.0.0.1:9"]) == 0
    assert got["layout"] == Layout(wide="none")
