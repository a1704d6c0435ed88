"""Fewer bytes per frame: style changes written as differences, not resets.

Textual writes every run of text as ``ESC[<whole style>m text ESC[0m``: a 120×40
dashboard's first frame repeats the same 24-bit background in some 3,400 sequences
(about 110 KB of its 151 KB). What a terminal shows depends only on the style in force
when each character is written, so this rewrites one write's worth of output to
carry the same picture with the least SGR: only what changes between two runs
(``ESC[38;2;0;101;190m`` instead of a reset and the full style again), nothing for a
reset that the next run's style overrides, and for runs of blank space nothing
beyond what a blank shows (its background, reverse, underline, strike-through; a
blank's foreground colour is invisible).

The picture is the same cell for cell (``tests/tui/test_sgr.py`` renders both with
pyte, and the real dashboard with and without). Output this does not understand (an
SGR parameter outside the usual set, such as colon sub-parameters) is written as it
came. Each write ends with the default style, as Textual expects of the next one.
Disabled with ``GPURISK_SGR=plain``. With ``NO_COLOR`` set, no colour code is written at all
(:func:`strip_colour`): Textual's own NO_COLOR handling only turns colours into greys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
# Escape sequences that put nothing on the screen (cursor moves, modes, OSC hyperlinks) and controls.
_NON_PRINTING = re.compile(r"\x1b\[[0-9;?<>=!]*[ -/]*[@-~]"  # CSI
                           r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
                           r"|\x1b[@-Z\\-_]|[\x00-\x1f\x7f]")
_ATTRS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 21, 51, 52, 53})
#: Attributes that show on a blank cell (with its foreground colour, for reverse).
_SHOWN_ON_BLANK = frozenset({4, 7, 9, 21, 51, 52, 53})
#: The code that turns an attribute off (some turn off two: 22 bold and dim, 24 both underlines, ...).
_OFF = {1: 22, 2: 22, 3: 23, 4: 24, 21: 24, 5: 25, 6: 25, 7: 27, 8: 28, 9: 29, 51: 54, 52: 54, 53: 55}


class Style(NamedTuple):
    attrs: frozenset[int] = frozenset()
    fg: str | None = None  # "31", "38;5;12", "38;2;1;2;3"; None = default
    bg: str | None = None


DEFAULT = Style()


def _parse(params: str, cur: Style) -> Style | None:
    """The style after ``ESC[params m`` applied to ``cur``; None when not understood."""
    if not params:
        return DEFAULT
    codes = params.split(";")
    attrs, fg, bg = set(cur.attrs), cur.fg, cur.bg
    i = 0
    while i < len(codes):
        if not codes[i].isdigit():
            return None
        c = int(codes[i])
        if c == 0:
            attrs, fg, bg = set(), None, None
        elif c in _ATTRS:
            attrs.add(c)
        elif c in (22, 23, 24, 25, 27, 28, 29, 54, 55):
            attrs -= {a for a, off in _OFF.items() if off == c}
        elif 30 <= c <= 37 or 90 <= c <= 97:
            fg = str(c)
        elif 40 <= c <= 47 or 100 <= c <= 107:
            bg = str(c)
        elif c == 39:
            fg = None
        elif c == 49:
            bg = None
        elif c in (38, 48):
            if i + 2 < len(codes) and codes[i + 1] == "5":
                n = 3
            elif i + 4 < len(codes) and codes[i + 1] == "2":
                n = 5
            else:
                return None
            part = codes[i:i + n]
            if not all(p.isdigit() for p in part):
                return None
            if c == 38:
                fg = ";".join(part)
            else:
                bg = ";".join(part)
            i += n
            continue
        else:
            return None
        i += 1
    return Style(frozenset(attrs), fg, bg)


def _full(s: Style) -> list[str]:
    codes = [str(a) for a in sorted(s.attrs)]
    if s.fg is not None:
        codes.append(s.fg)
    if s.bg is not None:
        codes.append(s.bg)
    return codes


def _diff(cur: Style, want: Style) -> str:
    """The shortest SGR taking the terminal from ``cur`` to ``want``."""
    if cur == want:
        return ""
    off = cur.attrs - want.attrs
    codes = sorted({str(_OFF[a]) for a in off})
    # An off code may clear a second attribute that is to stay (22: bold and dim): set it again.
    cleared = {a for a, o in _OFF.items() if str(o) in codes}
    codes += [str(a) for a in sorted((want.attrs - cur.attrs) | (want.attrs & cleared))]
    if want.fg != cur.fg:
        codes.append(want.fg or "39")
    if want.bg != cur.bg:
        codes.append(want.bg or "49")
    step = ";".join(codes)
    reset = ";".join(["0", *_full(want)]) if want != DEFAULT else ""
    return f"\x1b[{min(step, reset, key=len)}m"


def _for_blank(cur: Style, want: Style) -> Style:
    """What a run of blanks needs: ``want``'s background and shown attributes; the rest
    (foreground, bold, italic) may stay as they are unless reverse shows the foreground."""
    if 7 in want.attrs:
        return want
    keep = cur.attrs - _SHOWN_ON_BLANK
    return Style(frozenset(keep | (want.attrs & _SHOWN_ON_BLANK)), cur.fg, want.bg)


def compact(data: str) -> str:
    """``data`` with the same picture and the least SGR (see the module docstring)."""
    if "\x1b[" not in data:
        return data
    out: list[str] = []
    emitted = DEFAULT  # what the terminal has
    wanted = DEFAULT  # what the original stream has in force
    pos = 0
    for m in _SGR.finditer(data):
        chunk = data[pos:m.start()]
        if chunk:
            emitted = _write(out, chunk, emitted, wanted)
        parsed = _parse(m.group(1), wanted)
        if parsed is None:
            return data  # not understood: leave the whole write as it came
        wanted = parsed
        pos = m.end()
    tail = data[pos:]
    if tail:
        emitted = _write(out, tail, emitted, wanted)
    if emitted != DEFAULT:
        out.append("\x1b[0m")
    return "".join(out)


def _write(out: list[str], chunk: str, emitted: Style, wanted: Style) -> Style:
    shown = _NON_PRINTING.sub("", chunk)
    if shown:
        target = _for_blank(emitted, wanted) if not shown.strip(" ") else wanted
        out.append(_diff(emitted, target))
        emitted = target
    out.append(chunk)
    return emitted


_COLOUR_SIMPLE = frozenset({*range(30, 40), *range(40, 50), *range(90, 98), *range(100, 108)})


def _without_colour(m: re.Match[str]) -> str:
    params = m.group(1)
    if not params:
        return m.group(0)
    codes = params.split(";")
    kept: list[str] = []
    i = 0
    while i < len(codes):
        c = codes[i]
        if c in ("38", "48"):  # extended colour: 5;n or 2;r;g;b follow
            i += 3 if codes[i + 1:i + 2] == ["5"] else 5 if codes[i + 1:i + 2] == ["2"] else 1
            continue
        if not (c.isdigit() and int(c) in _COLOUR_SIMPLE):
            kept.append(c)
        i += 1
    return f"\x1b[{';'.join(kept)}m" if kept else ""


def strip_colour(data: str) -> str:
    """``data`` without colour (``NO_COLOR``): every foreground and background code taken out
    of its SGR (38/48 with their parameters, 30–49, 90–107), the other attributes kept; an
    SGR left empty is dropped (``ESC[m``, a reset, is kept as it came)."""
    if "\x1b[" not in data:
        return data
    return _SGR.sub(_without_colour, data)


def wrap(write: Callable[[str], None], *, diff: bool = True, colour: bool = True) -> Callable[[str], None]:
    """A driver's ``write`` that writes :func:`compact` output (``diff``), without colour
    codes unless ``colour`` (:func:`strip_colour`, for ``NO_COLOR``)."""

    def sgr_write(data: str) -> None:
        if not colour:
            data = strip_colour(data)
        write(compact(data) if diff else data)

    return sgr_write
