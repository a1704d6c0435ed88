"""Configuration: a TOML file, then environment, then command-line flags.

Precedence (later wins): built-in defaults → the TOML file (``--config PATH`` or
``$GPURISK_CONFIG``) → environment (``GPURISK_SEC_CONTACT``) → flags (``--live``).
With no file the dashboard runs the bundled sample feeds (DEMO). A bad file is
reported as ``file: key: problem`` and the CLI exits with status 2.

Format::

    [app]
    company = "CRWV"          # ticker the financial panels follow
    history = true            # keep observations in SQLite (separate file for demo)
    bell = true               # ring the terminal bell when an alert fires

    [sec]
    contact = "you@example.com"   # SEC requires a contact in the User-Agent

    [feeds.replay]            # one table per feed instance; `type` defaults to the table name
    interval = 1.0
    step_days = 1

    [feeds.cri]
    type = "csv"
    enabled = true
    path = "~/indices/cri-h100.csv"

    [thresholds.current_ratio]
    watch = 1.0
    alert = 0.5
    higher_is_worse = false

    [[alerts.rules]]          # see README: alert rules
    [scenarios.seed]          # see README: scenarios
    [weights]                 # composite score weights by indicator name
    [layout]                  # panel order and sizes (gpurisk/config_layout.py)
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import GpuriskError
from engine.indicator import Threshold
from feeds.base import ConfigError
from feeds.notes import NoteSpec, parse_bonds
from feeds.textsafe import register_secret_env, safe

from .config_layout import Layout, parse_layout
from .config_limits import MAX_DEPTH, check_depth, feed_ranges, refuse_bad_numbers

DEMO_FEEDS: tuple[str, ...] = ("replay", "sample_financials", "sample_customers", "sample_rates", "sample_equity")
LIVE_FEEDS: tuple[str, ...] = (
    "vastai", "runpod", "azure", "aws", "fred", "sec_edgar", "disclosures", "assumptions", "tiingo",
    "finra_trace", "note_fair_values",
)
_TOP_KEYS = {"app", "sec", "feeds", "thresholds", "alerts", "scenarios", "weights", "peers", "bonds", "layout"}
_APP_KEYS = {"company": str, "history": bool, "history_path": str, "bell": bool, "alert_log": str, "alert_command": str,
             "alert_env": list}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


class ConfigFileError(ConfigError):
    """A problem in a config file, naming the file, the key and the problem (a ConfigError
    that knows its file: the CLI prints it and exits 2).

    The message echoes config values (``got 'x'``): it goes through the one sanitiser,
    so a value holding an escape sequence or a secret is shown inert and masked."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = safe(file), safe(key), safe(problem)
        GpuriskError.__init__(self, f"{self.file}: {self.key}: {self.problem}")


@dataclass
class FeedConfig:
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


@dataclass
class Config:
    path: Path | None = None
    company: str = "CRWV"
    feeds: list[FeedConfig] = field(default_factory=list)
    thresholds: dict[str, Threshold] = field(default_factory=dict)
    alert_rules: list[dict[str, Any]] = field(default_factory=list)
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    history: bool = True
    history_path: str | None = None
    bell: bool = True
    alert_log: str | None = None
    alert_command: str | None = None
    alert_env: list[str] = field(default_factory=list)  # variables the alert hook may see
    contact: str = ""
    live: bool = False
    peers: list[str] = field(default_factory=list)  # [peers] companies: tickers or "TICKER:CIK" (empty: the five)
    bond_company: str | None = None  # [bonds] company (default: company)
    notes: tuple[NoteSpec, ...] = ()  # [[bonds.notes]]: the notes a bond feed prices
    layout: Layout = field(default_factory=Layout)  # [layout]: the front page's panel order and sizes

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "<defaults>"

    def error(self, key: str, problem: str) -> ConfigFileError:
        return ConfigFileError(self.where, key, problem)


def _check(cond: bool, cfg: Config, key: str, problem: str) -> None:
    if not cond:
        raise cfg.error(key, problem)


def _threshold(cfg: Config, name: str, raw: Any) -> Threshold:
    key = f"thresholds.{name}"
    _check(isinstance(raw, dict), cfg, key, "must be a table with watch and alert")
    for k in raw:
        _check(k in ("watch", "alert", "higher_is_worse"), cfg, f"{key}.{k}",
               "unknown key (use watch, alert, higher_is_worse)")
    for k in ("watch", "alert"):
        _check(k in raw, cfg, f"{key}.{k}", "missing")
        v = raw[k]
        _check(_finite(v), cfg, f"{key}.{k}", f"must be a finite number, got {v!r}")
    hiw = raw.get("higher_is_worse")
    default = _default_thresholds().get(name)
    if hiw is None:  # the indicator's own direction; a typo in the levels must not flip it
        hiw = default.higher_is_worse if default is not None else raw["alert"] >= raw["watch"]
    _check(isinstance(hiw, bool), cfg, f"{key}.higher_is_worse", "must be true or false")
    if hiw:
        _check(raw["alert"] >= raw["watch"], cfg, f"{key}.alert",
               f"must be at or above watch ({raw['watch']:g}): higher is worse for {name}")
    else:
        _check(raw["alert"] <= raw["watch"], cfg, f"{key}.alert",
               f"must be at or below watch ({raw['watch']:g}): lower is worse for {name}")
    return Threshold(float(raw["watch"]), float(raw["alert"]), hiw)


_SHOCK_RANGE = {
    "h100_rent_pct": (-100.0, 1000.0),
    "top_customer_cut_pct": (0.0, 100.0),
    "rate_bp": (-1000.0, 5000.0),
    "life_years": (0.5, 30.0),
    "utilisation_pts": (-100.0, 100.0),
}


_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _indicator_names() -> set[str]:
    from engine.indicators import default_indicators

    return {i.name for i in default_indicators()}


def _default_thresholds() -> dict[str, Threshold]:
    from engine.indicators import default_indicators

    return {i.name: i.threshold for i in default_indicators() if i.threshold is not None}


def _scenario(cfg: Config, name: str, table: dict[str, Any]) -> None:
    """Check a [scenarios.NAME] table against engine.scenarios.Scenario's fields."""
    from dataclasses import fields

    from engine.scenarios import Scenario

    _check(bool(_NAME.fullmatch(name)), cfg, f"scenarios.{name}",
           "a scenario name may use letters, digits, _ and - only")
    known = {f.name for f in fields(Scenario)} - {"name"}
    for k, v in table.items():
        key = f"scenarios.{name}.{k}"
        _check(k in known, cfg, key, f"unknown shock (use {', '.join(sorted(known))})")
        if k == "description":
            _check(isinstance(v, str), cfg, key, "must be a string")
            continue
        _check(_finite(v), cfg, key, f"must be a finite number, got {v!r}")
        lo, hi = _SHOCK_RANGE.get(k, (-math.inf, math.inf))
        _check(lo <= v <= hi, cfg, key, f"must be between {lo:g} and {hi:g}, got {v!r}")


def _alert_env(cfg: Config, raw: list[Any]) -> list[str]:
    for i, name in enumerate(raw):
        _check(isinstance(name, str) and bool(_ENV_NAME.fullmatch(name)), cfg, f"app.alert_env[{i}]",
               f"must be an environment variable name (letters, digits, _), got {name!r}")
    return list(dict.fromkeys(raw))


def _feeds(cfg: Config, raw: Any) -> list[FeedConfig]:
    _check(isinstance(raw, dict), cfg, "feeds", "must be a table of feed tables")
    out = []
    for name, opts in raw.items():
        key = f"feeds.{name}"
        _check(isinstance(opts, dict), cfg, key, "must be a table")
        opts = dict(opts)
        ftype = opts.pop("type", name)
        enabled = opts.pop("enabled", True)
        _check(isinstance(ftype, str), cfg, f"{key}.type", "must be a string")
        _check(isinstance(enabled, bool), cfg, f"{key}.enabled", "must be true or false")
        feed_ranges(cfg, key, opts)
        if isinstance(opts.get("api_key_env"), str):  # its value is masked in every output from now on
            register_secret_env(opts["api_key_env"])
        out.append(FeedConfig(name, ftype, opts, enabled))
    return out


def _peers(cfg: Config, raw: Any) -> list[str]:
    """``[peers] companies = ["CRWV", "NBIS", "ACME:0001234567"]``: the peers screen's columns."""
    _check(isinstance(raw, dict), cfg, "peers", "must be a table with a `companies` list")
    for k in raw:
        _check(k == "companies", cfg, f"peers.{k}", "unknown key (expected: companies)")
    names = raw.get("companies", [])
    _check(isinstance(names, list) and 0 < len(names) <= 12 if "companies" in raw else True, cfg, "peers.companies",
           "must be a list of 1 to 12 tickers")
    if not names:
        return []
    from feeds.sec_peers import parse_company  # only when the table is there (it loads httpx)

    for i, name in enumerate(names):
        try:
            parse_company(name)
        except ConfigError as exc:
            raise cfg.error(f"peers.companies[{i}]", exc.problem) from None
    return [str(n).strip() for n in names]


def parse(data: dict[str, Any], path: Path | None = None) -> Config:
    cfg = Config(path=path)
    for k in data:
        _check(k in _TOP_KEYS, cfg, k, f"unknown section (expected one of {', '.join(sorted(_TOP_KEYS))})")
    check_depth(cfg, data)
    refuse_bad_numbers(cfg, data, "")
    app = data.get("app", {})
    _check(isinstance(app, dict), cfg, "app", "must be a table")
    for k, v in app.items():
        _check(k in _APP_KEYS, cfg, f"app.{k}", "unknown key")
        _check(isinstance(v, _APP_KEYS[k]), cfg, f"app.{k}", f"must be a {_APP_KEYS[k].__name__}, got {v!r}")
        setattr(cfg, k, _alert_env(cfg, v) if k == "alert_env" else v)
    sec = data.get("sec", {})
    _check(isinstance(sec, dict), cfg, "sec", "must be a table")
    contact = sec.get("contact", "")
    _check(isinstance(contact, str), cfg, "sec.contact", "must be a string (an e-mail address)")
    cfg.contact = contact
    if "feeds" in data:
        cfg.feeds = _feeds(cfg, data["feeds"])
    th = data.get("thresholds", {})
    _check(isinstance(th, dict), cfg, "thresholds", "must be a table")
    known = _indicator_names()
    for n in th:
        _check(n in known, cfg, f"thresholds.{n}", "unknown indicator (names: gpurisk snapshot --json)")
    cfg.thresholds = {n: _threshold(cfg, n, v) for n, v in th.items()}
    alerts = data.get("alerts", {})
    _check(isinstance(alerts, dict), cfg, "alerts", "must be a table with a `rules` array")
    rules = alerts.get("rules", [])
    _check(isinstance(rules, list) and all(isinstance(r, dict) for r in rules), cfg, "alerts.rules",
           "must be an array of tables ([[alerts.rules]])")
    from engine.filing_rules import all_rules_from_config, is_filing_rule

    try:
        all_rules_from_config(rules, "alerts.rules")  # indicator rules and kind = "filing"
    except ValueError as exc:
        key, _, problem = str(exc).partition(": ")
        raise cfg.error(key, problem) from None
    for i, r in enumerate(rules):
        if is_filing_rule(r):
            continue
        _check(r["indicator"].strip() in known, cfg, f"alerts.rules[{i}].indicator",
               f"unknown indicator {r['indicator']!r} (names: gpurisk snapshot --json)")
    cfg.alert_rules = rules
    sc = data.get("scenarios", {})
    _check(isinstance(sc, dict) and all(isinstance(v, dict) for v in sc.values()), cfg, "scenarios",
           "must be a table of scenario tables")
    for name, table in sc.items():
        _scenario(cfg, name, table)
    cfg.scenarios = sc
    w = data.get("weights", {})
    _check(isinstance(w, dict), cfg, "weights", "must be a table of numbers")
    known = _indicator_names()
    groups = {"gpu", "leverage", "liquidity", "concentration", "market"}
    for k, v in w.items():
        _check(k in known or k in groups, cfg, f"weights.{k}",
               f"unknown indicator or group (groups: {', '.join(sorted(groups))}; indicators: gpurisk snapshot --json)")
        _check(_finite(v) and v >= 0, cfg, f"weights.{k}", f"must be a non-negative finite number, got {v!r}")
    cfg.weights = {k: float(v) for k, v in w.items()}
    cfg.peers = _peers(cfg, data.get("peers", {}))
    if "bonds" in data:
        try:
            cfg.bond_company, cfg.notes = parse_bonds(data["bonds"])
        except ConfigError as exc:
            raise cfg.error("bonds" if exc.key == "-" else f"bonds.{exc.key}", exc.problem) from None
    if "layout" in data:
        cfg.layout = parse_layout(cfg, data["layout"])
    return cfg


def load_config(path: str | os.PathLike[str] | None = None, live: bool = False) -> Config:
    """Read the config (if any), apply environment and the ``--live`` flag."""
    env_path = os.environ.get("GPURISK_CONFIG")
    p = Path(path).expanduser() if path else (Path(env_path).expanduser() if env_path else None)
    if p is None:
        cfg = Config()
    else:
        try:
            text = p.read_bytes().decode("utf-8")
        except OSError as exc:
            raise ConfigFileError(str(p), "-", f"cannot read file: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise ConfigFileError(str(p), "-", f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} "
                                  f"at line {line} (save the file as UTF-8)") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigFileError(str(p), "-", f"not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per level of nested arrays / inline tables
            raise ConfigFileError(str(p), "-", f"nested more than {MAX_DEPTH} levels deep") from None
        cfg = parse(data, p)
    cfg.contact = os.environ.get("GPURISK_SEC_CONTACT", cfg.contact)
    cfg.live = live
    if not cfg.feeds:
        names = LIVE_FEEDS if live else DEMO_FEEDS
        cfg.feeds = [FeedConfig(n, n) for n in names]
    elif live:
        present = {f.name for f in cfg.feeds}
        cfg.feeds = [f for f in cfg.feeds if f.type not in DEMO_FEEDS] + [
            FeedConfig(n, n) for n in LIVE_FEEDS if n not in present
        ]
    return cfg
