"""``[bonds]``: the notes a bond feed prices. Good tables parse into NoteSpecs that reach the
FINRA feed; each bad one is one line naming file, key and problem, exit 2, no traceback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from feeds.finra_trace import FinraTraceFeed
from feeds.notes import cusip_ok
from gpurisk.config import ConfigFileError, load_config
from gpurisk.session import Session

from test_outputs_inert import gpurisk

NOTE = ('[[bonds.notes]]\nname = "2030 senior notes"\ncusip = "99999XAA0"\ncoupon = 9.25\n'
        'maturity = "2030-06-01"\n')


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text)
    return p


def test_cusip_check_digit() -> None:
    assert cusip_ok("037833100") and cusip_ok("99999XAA0")
    assert not cusip_ok("037833101") and not cusip_ok("03783310") and not cusip_ok("O37833100")


def test_notes_reach_the_finra_feed(tmp_path: Path) -> None:
    text = ('[bonds]\ncompany = "crwv"\n' + NOTE + 'principal = 2e9\ncalls = [["2027-06-01", 104.625]]\n'
            '[feeds.finra_trace]\ndataset = "traceBonds"\n')
    cfg = load_config(write(tmp_path, text), live=True)
    assert cfg.bond_company == "CRWV" and cfg.notes[0].calls == ((date(2027, 6, 1), 104.625),)
    session = Session.from_config(cfg, history=False)
    feed = session.runner.feeds["finra_trace"]
    assert isinstance(feed, FinraTraceFeed)
    assert list(feed.notes) == ["99999XAA0"] and feed.notes["99999XAA0"].coupon == 9.25
    assert feed.dataset == "traceBonds" and feed.company == "CRWV"


BAD = [
    (NOTE.replace('"99999XAA0"', '"99999XAA1"'), "bonds.notes[0].cusip", "check digit"),
    (NOTE.replace("coupon = 9.25\n", ""), "bonds.notes[0].coupon", "is required"),
    (NOTE.replace("9.25", "925"), "bonds.notes[0].coupon", "from 0 to 30"),
    (NOTE.replace('"2030-06-01"', '"June 2030"'), "bonds.notes[0].maturity", "must be a date"),
    (NOTE + 'calls = [["2031-01-01", 101.0]]\n', "bonds.notes[0].calls[0]", "not before the maturity"),
    (NOTE + 'calls = [["2027-01-01"]]\n', "bonds.notes[0].calls[0]", "[date, price] pair"),
    (NOTE + 'seniority = "junior"\n', "bonds.notes[0].seniority", "must be one of"),
    (NOTE + 'rating = "B"\n', "bonds.notes[0].rating", "unknown key"),
    (NOTE + NOTE, "bonds.notes", "share the name"),
    ('[bonds]\nnotes = "x"\n', "bonds.notes", "array"),
]


@pytest.mark.parametrize(("body", "key", "words"), BAD)
def test_bad_notes_name_file_key_and_problem(tmp_path: Path, body: str, key: str, words: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigFileError) as exc:
        load_config(path)
    assert exc.value.key == key and words in exc.value.problem and str(path) in str(exc.value)


def test_cli_exit_2_one_line(tmp_path: Path) -> None:
    proc = gpurisk("--config", str(write(tmp_path, BAD[0][0])), "snapshot", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bonds.notes[0].cusip" in lines[0] and "c.toml" in lines[0]
