"""Config validation: NaN and inf refused for every number, alert rules on existing
indicators only, the hook's environment names checked, and a file that cannot be read
as UTF-8 TOML is exit 2 with ``file: key: problem`` — never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpurisk.config import ConfigFileError, load_config

from test_outputs_inert import gpurisk

RULE = '[[alerts.rules]]\nindicator = "hhi"\ncomparison = ">"\nthreshold = 2500\n'

NONFINITE = [
    ("[feeds.vastai]\ninterval = nan\n", "feeds.vastai.interval"),
    ("[feeds.vastai]\ninterval = inf\n", "feeds.vastai.interval"),
    ("[feeds.vastai]\ntimeout = nan\n", "feeds.vastai.timeout"),
    ("[feeds.fred]\ntimeout = -inf\n", "feeds.fred.timeout"),
    ("[feeds.ocpi]\ntype = \"http_json\"\nscale = nan\n", "feeds.ocpi.scale"),
    ("[thresholds.current_ratio]\nwatch = nan\nalert = 0.5\n", "thresholds.current_ratio.watch"),
    ("[thresholds.hhi]\nwatch = 1500\nalert = inf\n", "thresholds.hhi.alert"),
    ("[weights]\nhhi = inf\n", "weights.hhi"),
    ("[scenarios.s]\nh100_rent_pct = nan\n", "scenarios.s.h100_rent_pct"),
    ("[scenarios.s]\nrate_bp = inf\n", "scenarios.s.rate_bp"),
    (RULE.replace("2500", "nan"), "alerts.rules[0].threshold"),
    (RULE + "for_s = inf\n", "alerts.rules[0].for_s"),
    (RULE + "repeat_s = nan\n", "alerts.rules[0].repeat_s"),
    ("[feeds.cri]\ntype = \"csv\"\nlimits = [1.0, nan]\n", "feeds.cri.limits[1]"),
]


def write(tmp_path: Path, text: str | bytes, name: str = "c.toml") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text,key", NONFINITE, ids=[k for _, k in NONFINITE])
def test_nan_and_inf_refused_for_every_number(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError) as err:
        load_config(path)
    assert err.value.key == key
    assert "finite" in err.value.problem and str(err.value).startswith(f"{path}: {key}: ")


@pytest.mark.parametrize("text", ["[feeds.vastai]\ninterval = nan\n", "[feeds.vastai]\ntimeout = inf\n"])
def test_nonfinite_number_is_exit_2_from_the_cli(tmp_path: Path, text: str) -> None:
    proc = gpurisk("--config", str(write(tmp_path, text)), "feeds", "check")
    assert proc.returncode == 2
    assert "config error" in proc.stderr and "must be a finite number" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_alert_rule_must_name_an_existing_indicator(tmp_path: Path) -> None:
    path = write(tmp_path, RULE + RULE.replace('"hhi"', '"hhi_typo"').replace("2500", "2600"))
    with pytest.raises(ConfigFileError) as err:
        load_config(path)
    assert err.value.key == "alerts.rules[1].indicator" and "unknown indicator 'hhi_typo'" in err.value.problem
    load_config(write(tmp_path, RULE, "ok.toml"))  # an existing one is fine
    proc = gpurisk("--config", str(path), "snapshot", "--json")
    assert proc.returncode == 2 and "alerts.rules[1].indicator" in proc.stderr


@pytest.mark.parametrize("value,problem", [
    ('"PATH"', "must be a list"),
    ('["OK_NAME", "BAD NAME"]', "app.alert_env[1]: must be an environment variable name"),
    ('["X", 3]', "app.alert_env[1]: must be an environment variable name"),
])
def test_alert_env_is_a_list_of_variable_names(tmp_path: Path, value: str, problem: str) -> None:
    with pytest.raises(ConfigFileError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, f"[app]\nalert_env = {value}\n"))
    cfg = load_config(write(tmp_path, '[app]\nalert_env = ["SLACK_URL", "SLACK_URL", "_X1"]\n', "ok.toml"))
    assert cfg.alert_env == ["SLACK_URL", "_X1"]


def test_non_utf8_config_is_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    path = write(tmp_path, b'[app]\ncompany = "CRWV"\n# caf\xe9 in latin-1\n')
    proc = gpurisk("--config", str(path), "snapshot", "--json")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"gpurisk: config error: {path}: -: not UTF-8 text: byte 0xe9 at line 3 "
                                   "(save the file as UTF-8)")


def test_unreadable_config_is_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()  # a directory where the file should be
    proc = gpurisk("--config", str(folder), "feeds", "check")
    assert proc.returncode == 2 and "cannot read file" in proc.stderr and "Traceback" not in proc.stderr
    if os.geteuid() != 0:  # root reads a mode-000 file anyway
        locked = write(tmp_path, "[app]\n", "locked.toml")
        locked.chmod(0)
        proc = gpurisk("--config", str(locked), "feeds", "check")
        assert proc.returncode == 2 and "cannot read file" in proc.stderr and "Traceback" not in proc.stderr
