"""Decimal commas: ``2,6`` is never read as 26. Refused (naming file, line and column)
unless the feed sets ``decimal = ","``; then it is 2.6 and thousands separators are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.base import ConfigError, FeedContext, FeedError
from feeds.csv_feed import CSVFeed, NumberFormatError, parse_number, read_rows
from feeds.runner import ERROR, OK, FeedRunner


def feed(tmp_path, body: str, **opts) -> CSVFeed:  # type: ignore[no-untyped-def]
    path = tmp_path / "marks.csv"
    path.write_text(body, encoding="utf-8")
    return CSVFeed.from_config({"path": str(path), "value_column": "price", "sku": "H100 SXM", **opts},
                               FeedContext())


async def poll(f: CSVFeed):  # type: ignore[no-untyped-def]
    runner = FeedRunner([f])
    obs = await runner.poll(f.instance)
    return obs, runner.status[f.instance]


async def test_decimal_comma_is_refused_by_default_with_file_line_and_column(tmp_path) -> None:
    f = feed(tmp_path, "date,price\n2026-03-01,2.5\n2026-03-02,\"2,6\"\n")
    obs, st = await poll(f)
    assert obs == [] and st.state == ERROR
    assert st.last_error == ("marks.csv line 3, column 'price' (column 2): '2,6' has a decimal comma "
                             "(set decimal = \",\" for this feed)")


async def test_decimal_comma_feed_reads_2_6_as_2_6(tmp_path) -> None:
    # a comma-separated file quotes such cells
    f = feed(tmp_path, "date,price\n2026-03-01,\"2,5\"\n2026-03-02,\"2,6\"\n", decimal=",")
    obs, st = await poll(f)
    assert st.state == OK and [o.price for o in obs] == [2.5, 2.6]


async def test_decimal_comma_feed_refuses_thousands_separators(tmp_path) -> None:
    f = feed(tmp_path, "date,price\n2026-03-01,\"2,5\"\n2026-03-02,\"1.234,5\"\n", decimal=",")
    obs, st = await poll(f)
    assert st.state == ERROR and st.last_error.startswith("marks.csv line 3, column 'price' (column 2): '1.234,5'")
    assert "not accepted with decimal" in st.last_error


def test_parse_number_both_conventions() -> None:
    assert parse_number("1,234.5") == 1234.5  # a thousands separator in its place is fine
    assert parse_number("$2.49") == 2.49 and parse_number("NA") is None and parse_number("abc") is None
    for bad in ("2,6", "1,5,6", "12,34"):
        with pytest.raises(NumberFormatError):
            parse_number(bad)
    assert parse_number("2,6", decimal=",") == 2.6 and parse_number("-0,25", decimal=",") == -0.25
    for bad in ("2.6", "1.234,5", "1 234,5", "1,2,3"):
        with pytest.raises(NumberFormatError):
            parse_number(bad, decimal=",")


def test_read_rows_names_the_source() -> None:
    with pytest.raises(FeedError, match=r"^https://x/i.csv line 2, column 'v' \(column 2\): '3,1'"):
        read_rows("d,v\n2026-01-01,\"3,1\"\n", "d", "v", where="https://x/i.csv")


def test_decimal_option_is_checked(tmp_path) -> None:
    with pytest.raises(ConfigError, match="decimal"):
        feed(tmp_path, "date,price\n", decimal=";")


def test_json_strings_use_the_same_parser() -> None:
    from feeds.base import FeedError
    from feeds.http_json import HTTPJSONFeed, to_number

    assert to_number("1,234.5") == 1234.5 and to_number(2.5) == 2.5 and to_number(True) is None
    assert to_number(float("nan")) is None and to_number("NA") is None
    feed = HTTPJSONFeed(url="http://127.0.0.1:9/x", items_path="rows", price_path="p", sku="H100 SXM", tier="index",
                        provider="idx")
    with pytest.raises(FeedError, match=r"item 1 'p': '2,6' has a decimal comma"):
        feed.transform({"rows": [{"p": "2.5"}, {"p": "2,6"}]}, datetime.now(UTC))
