"""Numbers in the config and from feeds: plain decimal only, bounded, never a traceback.

A config value out of range, an absurd number or a file nested thousands of levels deep
is one line naming the file, the key and the allowed range, exit status 2. A feed value
such as ``"2_5"`` (which Python's float reads as 25) is refused, never shown as OK.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from feeds.base import ConfigError, FeedContext, FeedError
from feeds.http_json import HTTPJSONFeed
from feeds.numbers import NumberFormatError, parse_number, to_number
from gpurisk.config import ConfigFileError, load_config

from test_outputs_inert import gpurisk

FEED = '[feeds.x]\ntype = "http_json"\nurl = "http://127.0.0.1:9/x"\nprice_path = "p"\nsku = "H100 SXM"\n'

OUT_OF_RANGE = [
    ("interval = 1e308", "feeds.x.interval", "from 0.1 to 2.6784e+06 seconds"),
    ("interval = 9223372036854775807", "feeds.x.interval", "from 0.1 to 2.6784e+06 seconds"),
    ("retries = 1000000000", "feeds.x.retries", "a whole number from 0 to 10"),
    ("retries = 9223372036854775807", "feeds.x.retries", "a whole number from 0 to 10"),
    ("retries = 2.5", "feeds.x.retries", "a whole number from 0 to 10"),
    ("timeout = 1e300", "feeds.x.timeout", "from 0.1 to 3600 seconds"),
    ("timeout = 0", "feeds.x.timeout", "from 0.1 to 3600 seconds"),
    ("deadline = 1e308", "feeds.x.deadline", "from 0.1 to 7200 seconds"),
    ("max_bytes = 9223372036854775807", "feeds.x.max_bytes", "from 1000 to 1e+08 bytes"),
    ("scale = 9223372036854775807", "feeds.x.scale", "between -1e+15 and 1e+15"),
]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("line,key,allowed", OUT_OF_RANGE, ids=[x[0] for x in OUT_OF_RANGE])
def test_out_of_range_names_file_key_and_range(tmp_path: Path, line: str, key: str, allowed: str) -> None:
    path = write(tmp_path, FEED + line + "\n")
    with pytest.raises(ConfigFileError) as err:
        load_config(path)
    assert err.value.key == key and allowed in err.value.problem
    assert str(err.value).startswith(f"{path}: {key}: ")


@pytest.mark.parametrize("line", ["interval = 1e308", "retries = 1000000000", "retries = 9223372036854775807",
                                  "timeout = 1e300"])
def test_out_of_range_is_exit_2_from_the_cli(tmp_path: Path, line: str) -> None:
    path = write(tmp_path, FEED + line + "\n")
    proc = gpurisk("--config", str(path), "--no-history", "feeds", "check", "--deadline", "5")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert f"{path}: feeds.x.{line.split()[0]}: must be" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000 + "\n",
                                  "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n",
                                  "[feeds.x]\nlimits = " + "[" * 40 + "]" * 40 + "\n"])
def test_deep_nesting_is_exit_2(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError, match="nested more than 16 levels deep") as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    proc = gpurisk("--config", str(path), "snapshot", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "nested more than" in proc.stderr


def test_values_in_range_still_load(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, FEED + "interval = 0.5\ntimeout = 3600\nretries = 10\nmax_bytes = 20000000\n"))
    assert cfg.feeds[0].options["retries"] == 10


def test_from_config_bounds_without_a_file() -> None:
    opts = {"url": "http://127.0.0.1:9/x", "price_path": "p", "sku": "H100 SXM"}
    with pytest.raises(ConfigError, match="from 0.1 to 3600"):
        HTTPJSONFeed.from_config({**opts, "timeout": 1e300}, FeedContext())
    assert HTTPJSONFeed.from_config({**opts, "timeout": 30}, FeedContext()).timeout == 30


# --- numbers from feeds ------------------------------------------------------------


@pytest.mark.parametrize("text", ["2_5", "1_000.5", "\u0662\u0665", "\uff12\uff15"])
def test_not_plain_decimal_is_refused(text: str) -> None:
    with pytest.raises(NumberFormatError, match="not a plain decimal number"):
        parse_number(text)
    with pytest.raises(NumberFormatError):
        to_number(text)


@pytest.mark.parametrize("text", ["0x1A", "inf", "-Infinity", "nan", "abc", "e5", "1e99999"])
def test_no_number(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize("text,value", [("2.5", 2.5), ("-.5", -0.5), ("3.", 3.0), ("1e3", 1000.0), ("+7", 7.0),
                                        ("$2.50", 2.5), ("1,234.5", 1234.5), (" 4 ", 4.0)])
def test_plain_decimals_read(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_json_price_2_5_is_an_error_not_25() -> None:
    feed = HTTPJSONFeed(url="http://127.0.0.1:9/x", price_path="p", sku="H100 SXM")
    from datetime import datetime

    with pytest.raises(FeedError, match="not a plain decimal number"):
        feed.transform([{"p": "2_5"}], datetime.now(UTC))
    (q,) = feed.transform([{"p": "2.5"}], datetime.now(UTC))
    assert q.price == 2.5
