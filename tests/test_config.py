"""Config file parsing: good files load; bad ones name the file, key and problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gpurisk.config import DEMO_FEEDS, LIVE_FEEDS, ConfigFileError, load_config
from gpurisk.session import Session


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "gpurisk.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_no_file_means_demo_feeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GPURISK_CONFIG", raising=False)
    cfg = load_config(None)
    assert [f.name for f in cfg.feeds] == list(DEMO_FEEDS)
    assert [f.name for f in load_config(None, live=True).feeds] == list(LIVE_FEEDS)


def test_thresholds_and_feeds_parse(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
[app]
company = "CRWV"
[feeds.replay]
interval = 0.5
[feeds.cri]
type = "csv"
enabled = false
path = "x.csv"
[thresholds.current_ratio]
watch = 1.2
alert = 0.6
"""))
    assert cfg.feeds[0].options == {"interval": 0.5}
    assert (cfg.feeds[1].type, cfg.feeds[1].enabled) == ("csv", False)
    th = cfg.thresholds["current_ratio"]
    assert (th.watch, th.alert, th.higher_is_worse) == (1.2, 0.6, False)


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[app]\ncompany = 3\n", "app.company", "must be a str"),
        ("[app]\ncolour = 'red'\n", "app.colour", "unknown key"),
        ("[thresholds.current_ratio]\nwatch = 'low'\nalert = 0.5\n", "thresholds.current_ratio.watch",
         "must be a finite number"),
        ("[thresholds.dscr]\nwatch = nan\nalert = nan\n", "thresholds.dscr.watch", "must be a finite number"),
        ("[thresholds.curent_ratio]\nwatch = 1\nalert = 0.5\n", "thresholds.curent_ratio", "unknown indicator"),
        ("[weights]\ndscr = inf\n", "weights.dscr", "finite"),
        ("[weights]\nliquidty = 2\n", "weights.liquidty", "unknown indicator or group"),
        ("[scenarios.x]\ntop_customer_cut_pct = 500\n", "scenarios.x.top_customer_cut_pct", "between 0 and 100"),
        ("[thresholds.hhi]\nwatch = 1\n", "thresholds.hhi.alert", "missing"),
        ("[nonsense]\n", "nonsense", "unknown section"),
        ("[feeds.x]\nenabled = 'yes'\n", "feeds.x.enabled", "true or false"),
        ("this is = = not toml", "-", "not valid TOML"),
        ("[scenarios.\"x[/]y\"]\nrate_bp = 1\n", "scenarios.x[/]y", "letters, digits"),
        ("[thresholds.current_ratio]\nwatch = 0.5\nalert = 1.0\n", "thresholds.current_ratio.alert", "lower is worse"),
        ("[scenarios.crash]\nh100_rent = -40\n", "scenarios.crash.h100_rent", "unknown shock"),
        ("[scenarios.crash]\nrate_bp = 'lots'\n", "scenarios.crash.rate_bp", "must be a finite number"),
        ("[[alerts.rules]]\nindicator = 'hhi'\ncomparison = '=>'\nthreshold = 1\n", "alerts.rules[0].comparison",
         "must be one of"),
    ],
)
def test_bad_config_names_file_key_problem(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as err:
        load_config(path)
    assert err.value.file == str(path)
    assert err.value.key == key
    assert problem in err.value.problem


def test_unknown_feed_type_and_bad_feed_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError) as err:
        Session.from_config(load_config(write(tmp_path, "[feeds.prices]\ntype = 'nosuchfeed'\n")), history=False)
    assert err.value.key == "feeds.prices.type" and "unknown feed 'nosuchfeed'" in err.value.problem
    for bad in ("-1", "true", "'fast'"):
        with pytest.raises(ConfigFileError) as err:
            Session.from_config(load_config(write(tmp_path, f"[feeds.replay]\ninterval = {bad}\n")), history=False)
        assert err.value.key == "feeds.replay.interval", bad


@pytest.mark.subprocess
def test_cli_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[thresholds.current_ratio]\nwatch = 'low'\nalert = 0.5\n")
    for args in ([], ["snapshot", "--json"], ["feeds"]):
        proc = subprocess.run([sys.executable, "-m", "gpurisk", "--config", str(path), *args],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
        assert str(path) in proc.stderr and "thresholds.current_ratio.watch" in proc.stderr


@pytest.mark.subprocess
def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "gpurisk", "--config", str(tmp_path / "nope.toml"), "snapshot",
                           "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "cannot read file" in proc.stderr and "Traceback" not in proc.stderr
