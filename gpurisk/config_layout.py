"""``[layout]``: the front page's panel order, the panel that takes the room on a very wide
terminal, and the relative sizes of the 2×2 grid.

Format::

    [layout]
    order = ["prices", "debt", "customers", "risk"]  # grid order: left to right, top to bottom
    wide = "auto"      # from 180×40 the right half: "auto" (the risk panel), a panel, or "none"
    columns = [3, 2]   # relative widths of the 2×2 grid's columns
    rows = [1, 1]      # relative heights of its rows

Every key is optional; without the table the dashboard looks as it always has. The panels keep
their numbers (1 prices, 2 debt, 3 customers, 4 risk) and their keys wherever they are placed.
A bad value is one ``file: layout.KEY: problem`` line and exit status 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config

PANELS = ("prices", "debt", "customers", "risk")  # by number (1–4): the panels' ids on screen
WIDE_WORDS = ("auto", "none")
MAX_RATIO = 10.0  # a grid track thinner than a tenth of the other shows nothing useful
_KEYS = ("order", "wide", "columns", "rows")
_NAMES = ", ".join(PANELS)


@dataclass(frozen=True)
class Layout:
    order: tuple[str, ...] = PANELS
    wide: str = "auto"
    columns: tuple[float, float] | None = None  # None: the stylesheet's 3:2
    rows: tuple[float, float] | None = None  # None: the stylesheet's 1:1

    @property
    def wide_panel(self) -> str | None:
        """The panel that takes the right half on a very wide terminal (None: the 2×2 grid stays)."""
        return None if self.wide == "none" else "risk" if self.wide == "auto" else self.wide


def _panel(cfg: Config, key: str, v: Any) -> str:
    if not isinstance(v, str):
        raise cfg.error(key, f"must be a panel name ({_NAMES}), got {v!r}")
    name = v.strip().lower()
    if name not in PANELS:
        raise cfg.error(key, f"unknown panel {v!r} (panels: {_NAMES})")
    return name


def _order(cfg: Config, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise cfg.error("layout.order", f"must be a list of the panels, each once: [{_quoted(PANELS)}]")
    seen: list[str] = []
    for i, v in enumerate(raw):
        name = _panel(cfg, f"layout.order[{i}]", v)
        if name in seen:
            raise cfg.error(f"layout.order[{i}]", f"{name!r} is listed twice (every panel once)")
        seen.append(name)
    missing = [p for p in PANELS if p not in seen]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise cfg.error("layout.order", f"{_quoted(missing)} {verb} missing (list every panel once: {_NAMES})")
    return tuple(seen)


def _weights(cfg: Config, key: str, raw: Any, example: str) -> tuple[float, float]:
    ok = isinstance(raw, list) and len(raw) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in raw)
    if not ok:
        raise cfg.error(key, f"must be two positive numbers (relative sizes, e.g. {example}), got {raw!r}")
    a, b = float(raw[0]), float(raw[1])
    if max(a, b) > MAX_RATIO * min(a, b):
        raise cfg.error(key, f"the larger may be at most {MAX_RATIO:g} times the smaller, got {raw!r}")
    return a, b


def _quoted(names: Any) -> str:
    return ", ".join(f'"{n}"' for n in names)


def parse_layout(cfg: Config, raw: Any) -> Layout:
    """The ``[layout]`` table checked: each problem names its key (``layout.order[2]``)."""
    if not isinstance(raw, dict):
        raise cfg.error("layout", f"must be a table ({', '.join(_KEYS)})")
    for k in raw:
        if k not in _KEYS:
            raise cfg.error(f"layout.{k}", f"unknown key (expected: {', '.join(_KEYS)})")
    order = _order(cfg, raw["order"]) if "order" in raw else PANELS
    wide = raw.get("wide", "auto")
    if not isinstance(wide, str) or wide.strip().lower() not in (*WIDE_WORDS, *PANELS):
        raise cfg.error("layout.wide", f'must be "auto", "none" or a panel ({_NAMES}), got {wide!r}')
    columns = _weights(cfg, "layout.columns", raw["columns"], "[3, 2]") if "columns" in raw else None
    rows = _weights(cfg, "layout.rows", raw["rows"], "[1, 1]") if "rows" in raw else None
    return Layout(order, wide.strip().lower(), columns, rows)


__all__ = ["Layout", "PANELS", "parse_layout"]
