"""tui/sgr.py: the compacted output draws the same picture, cell for cell, in fewer bytes."""

from __future__ import annotations

import pyte
import pytest
from hypothesis import given, settings, strategies as st
from rich.style import Style as RichStyle
from textual.strip import Strip

from tui.sgr import compact

COLS, ROWS = 40, 4


def cells(data: str) -> list[tuple]:
    """What a terminal shows: per cell its character, background and the attributes a blank
    shows; the foreground, bold and italic only where a character (not a blank) is drawn,
    or under reverse video (which shows the foreground as background)."""
    screen = pyte.Screen(COLS, ROWS)
    pyte.Stream(screen).feed(data)
    out = []
    for y in range(ROWS):
        row = screen.buffer[y]
        for x in range(COLS):
            c = row[x]
            blank = c.data == " "
            out.append((c.data, c.bg, c.reverse, c.underscore, c.strikethrough,
                        None if blank and not c.reverse else (c.fg, c.bold, c.italics)))
    return out


def textual_way(runs: list[tuple[RichStyle, str]]) -> str:
    """Runs written as Textual writes them: full style, text, reset."""
    return "".join(Strip.render_style(style, text, "truecolor") for style, text in runs)


colors = st.sampled_from([None, "red", "#0065be", "#e0e0e0", "color(208)", "bright_green"])
styles = st.builds(lambda fg, bg, bold, dim, rev, und, strike, ital: RichStyle(
    color=fg, bgcolor=bg, bold=bold, dim=dim, reverse=rev, underline=und, strike=strike, italic=ital),
    colors, st.sampled_from([None, "#121212", "#1b1b1b", "blue"]), st.booleans(), st.booleans(),
    st.booleans(), st.booleans(), st.booleans(), st.booleans())
texts = st.sampled_from([" ", "   ", "ab", "─│", "1.93", " x ", "█▄"])
moves = st.sampled_from(["", "\x1b[2;1H", "\x1b[3;5H", "\n", "\x1b[?25l"])


@settings(deadline=None)  # examples: the hypothesis profile (tests/conftest.py)
@given(st.lists(st.tuples(moves, styles, texts), min_size=1, max_size=30))
def test_same_picture_as_textual_writes(parts):
    original = "".join(move + textual_way([(style, text)]) for move, style, text in parts)
    small = compact(original)
    assert cells(small) == cells(original)


def test_repeated_background_is_written_once():
    bg = "#121212"
    runs = [(RichStyle(color="#e0e0e0", bgcolor=bg), "Liabilities "), (RichStyle(color="#0065be", bgcolor=bg), "│"),
            (RichStyle(bgcolor=bg), "    "), (RichStyle(color="#e0e0e0", bgcolor=bg), "0.882")]
    original = textual_way(runs)
    small = compact(original)
    assert small.count("48;2;18;18;18") == 1
    assert "\x1b[0m" not in small[:-4]  # no reset until the end of the write
    assert small.endswith("\x1b[0m")  # Textual's next write starts from the default style
    assert cells(small) == cells(original)
    assert len(small) < len(original) * 0.7


def test_what_it_does_not_understand_is_left_as_it_came():
    odd = "\x1b[4:3mwavy\x1b[0m \x1b[38;2;1mx\x1b[0m"
    assert compact(odd) == odd
    assert compact("plain text") == "plain text"


MARKERS = ("DEMO", "H100", "Microsoft", "GPU rental prices", "Debt & liquidity", "Customer concentration",
           "Risk indicators", "Current ratio", "Liabilities")


@pytest.mark.slow
@pytest.mark.subprocess
def test_dashboard_first_frame_is_compact_and_whole(tmp_path):
    """The real dashboard in a pseudo-terminal: every panel of the first frame is there,
    in well under the bytes Textual's own writes take (issue 12's budget is 60 KB)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from ptyterm import Term

    def first(env: dict[str, str]) -> tuple[str, int, bytes]:
        t = Term([sys.executable, "-m", "gpurisk", "--no-history"], 120, 40,
                 env={"GPURISK_LOG": str(tmp_path / "log"), **env})
        raw: list[bytes] = []
        feed = t.stream.feed
        t.stream.feed = lambda data: (raw.append(bytes(data)), feed(data))[1]  # type: ignore[method-assign]
        try:
            # the first frame whole (every panel's title and a row of each), then its last
            # chunks; not a fixed wait that a later repaint could land in for one run only
            assert t.wait_for(MARKERS, 30) is not None, t.text
            t.settle(0.15, limit=0.6)
            return t.text, t.bytes, b"".join(raw)
        finally:
            t.close()

    text, small, _ = first({})
    _, plain, written = first({"GPURISK_SGR": "plain"})
    assert all(marker in text for marker in MARKERS)
    assert small < plain * 0.7, (small, plain)
    # One frame: each panel's title is written once (Textual painted the held layout's changes,
    # then the whole screen again on top).
    assert written.count(b"GPU rental prices") == 1, written.count(b"GPU rental prices")


@pytest.mark.slow
@pytest.mark.subprocess
@pytest.mark.parametrize("size", [(200, 60), (80, 24)])
def test_first_frame_waits_for_the_layout_to_settle(tmp_path, size):
    """At 200 columns the panels take their content's height, which moves those below
    them after their rows are laid out: the first frame is painted once that has settled,
    every title written once, not painted early and then again."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from ptyterm import Term

    cols, rows = size
    t = Term([sys.executable, "-m", "gpurisk", "--no-history"], cols, rows,
             env={"GPURISK_LOG": str(tmp_path / "log")})
    raw: list[bytes] = []
    feed = t.stream.feed
    t.stream.feed = lambda data: (raw.append(bytes(data)), feed(data))[1]  # type: ignore[method-assign]
    try:
        assert t.wait_for(("DEMO", "H100"), 30) is not None, t.text
        t.settle(0.15, limit=0.6)
    finally:
        t.close()
    written = b"".join(raw)
    titles = [b"GPU rental prices"] + ([b"Debt & liquidity", b"Customer concentration"] if cols >= 100 else [])
    assert [written.count(title) for title in titles] == [1] * len(titles)
