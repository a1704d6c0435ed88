"""Peers side by side: the same indicators, worked out for each company, at aligned periods.

Why a module: "is CoreWeave worse than its peers?" is only a fair question when every
company's figure comes from the same formula and the periods line up. So nothing
here computes a ratio. Each peer gets its own :class:`~engine.engine.Engine` (own
state, the dashboard's indicator objects and thresholds), fed only that company's
observations: a peer never borrows CoreWeave's assumptions (an effective rate with no
debt history is NO DATA, not CoreWeave's ``interest_rate_pct``). The main company's
column is the dashboard's own snapshot results, the very objects the risk panel shows
(one computation, one value).

Periods are aligned by **end date**, never by label: the reference date is the main
company's period, and each peer is worked out at its newest balance sheet ending on or
before it (Oracle's "FY2025" ends 2025-05-31; at a 2025-09-30 reference its Q1 FY26 to
2025-08-31 is used when reported). Where an input is missing at that date, the
indicator falls back to an older period exactly as :meth:`Engine.evaluate` does, and
says so; the cell shows the period it is at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from .engine import Engine
from .financials import is_year
from .indicator import IndicatorResult, Status, Threshold
from .indicators import default_indicators
from .observations import CustomerShare, FinancialFact, Observation

LIFE = "depreciation_life"
#: (key, label): an indicator name, or LIFE (a disclosed useful life, not an indicator).
ROWS: tuple[tuple[str, str], ...] = (
    ("liabilities_to_assets", "Liabilities / assets"),
    ("debt_to_ebitda", "Debt / EBITDA"),
    ("net_debt_leases_to_ebitda", "Net debt+leases / EBITDA"),
    ("current_ratio", "Current ratio"),
    ("interest_coverage", "Interest cover (EBIT)"),
    ("altman_z2", "Altman Z''"),
    ("top1_share", "Largest customer share"),
    (LIFE, "Depreciation life (GPUs)"),
    ("effective_rate", "Effective interest rate"),
)
INDICATOR_ROWS = tuple(k for k, _ in ROWS if k != LIFE)
DEFAULT_PEERS: tuple[str, ...] = ("CRWV", "NBIS", "IREN", "APLD", "ORCL")
#: Fiscal year-end month when the data does not show one (coreweave.md "Peers").
KNOWN_FYE: dict[str, int] = {"CRWV": 12, "NBIS": 12, "IREN": 6, "APLD": 5, "ORCL": 5}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, kw_only=True, slots=True)
class UsefulLife(Observation):
    """A disclosed depreciable life (years) of a company's GPU / server equipment."""

    company: str
    years: float
    period_end: date
    asset: str = "GPU servers"

    @property
    def key(self) -> str:
        return f"life/{self.company}"


@dataclass(frozen=True)
class Cell:
    """One company's figure in one row: the indicator result itself (explain reads it)."""

    row: str
    company: str
    value: float | None
    status: Status | str  # "ok" / "watch" / "alert" / "no_data"; "none" = no threshold
    period: date | None
    label: str  # the period as read: "Q3-25", "FY25 (May)"
    reason: str = ""
    result: IndicatorResult | None = None
    source: str = ""  # for rows that are not indicators (depreciation life)
    worst: bool = False


@dataclass
class PeerTable:
    companies: list[str]
    reference: date | None  # the main company's period: peers are aligned on or before it
    rows: tuple[tuple[str, str], ...] = ROWS
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    periods: dict[str, date | None] = field(default_factory=dict)  # each company's aligned balance date

    def cell(self, row: str, company: str) -> Cell:
        return self.cells[(row, company)]

    def worst(self, row: str) -> str | None:
        return next((c for c in self.companies if self.cells[(row, c)].worst), None)

    def order_by_row(self, row: str, worst_first: bool = True) -> list[str]:
        """Companies ordered by their value in ``row`` (worst first); NO DATA last, as listed."""
        known = {c: v for c in self.companies if (v := self.cells[(row, c)].value) is not None}
        have = list(known)
        bad = higher_is_worse(row, self._threshold(row))
        have.sort(key=known.__getitem__, reverse=bad == worst_first)
        return have + [c for c in self.companies if c not in have]

    def order_rows_by(self, company: str) -> list[str]:
        """Row keys ordered by the company's status (ALERT, WATCH, OK, NO DATA)."""
        rank = {"alert": 0, "watch": 1, "ok": 2, "none": 3, "no_data": 4}
        keys = [k for k, _ in self.rows]
        return sorted(keys, key=lambda k: (rank.get(str(self.cells[(k, company)].status), 5), keys.index(k)))

    def _threshold(self, row: str) -> Threshold | None:
        for c in self.companies:
            res = self.cells[(row, c)].result
            if res is not None and res.threshold is not None:
                return res.threshold
        return None


def higher_is_worse(row: str, th: Threshold | None) -> bool:
    """A longer depreciation life flatters earnings: for credit, longer is worse."""
    return True if row == LIFE or th is None else th.higher_is_worse


def period_label(end: date | None, fye_month: int) -> str:
    """"FY25" / "FY25 (May)" at a fiscal year end, else "Q3-25" / "Q1 FY26 (Aug)": the fiscal
    quarter and year that end there. Always read with the date (shown beside it)."""
    if end is None:
        return "—"
    fy = end.year if end.month <= fye_month else end.year + 1
    tail = "" if fye_month == 12 else f" ({_MONTHS[end.month - 1]})"
    if end.month == fye_month:
        return f"FY{fy % 100:02d}{tail}"
    q = (end.month - fye_month - 1) % 12 // 3 + 1
    return f"Q{q}-{fy % 100:02d}" if fye_month == 12 else f"Q{q} FY{fy % 100:02d}{tail}"


def fiscal_year_end(engine: Engine, company: str) -> int:
    """The month fiscal years end in: from the company's own annual flows, else coreweave.md's."""
    for metric in ("revenue", "operating_income", "net_income", "d_and_a", "interest_expense"):
        years = [f for f in engine.state.fin.durations(company, metric) if is_year(f)]
        if years:
            return max(years, key=lambda f: f.period_end).period_end.month
    return KNOWN_FYE.get(company, 12)


def aligned_period(engine: Engine, reference: date | None) -> date | None:
    """The newest balance-sheet date on or before ``reference`` (by end date), else the newest."""
    periods = engine.state.fin.balance_periods(engine.company)
    if not periods:
        return None
    if reference is None:
        return periods[0]
    return next((p for p in periods if p <= reference), periods[0])


def evaluate_aligned(engine: Engine, name: str, reference: date | None) -> IndicatorResult:
    """:meth:`Engine.evaluate` with the newest period capped at the reference date: the same
    indicator, the same fallback to an older period (said in ``reason``)."""
    ind = engine.indicators[name]
    periods = engine.state.fin.balance_periods(engine.company)
    if not ind.periodic or reference is None or not periods or periods[0] <= reference:
        return engine.evaluate(name)
    capped = [p for p in periods if p <= reference][:8]
    if not capped:
        res = engine.evaluate(name)
        return replace(res,
                       reason=(res.reason + "; " if res.reason else "") + f"no balance sheet on or before {reference}")
    first: IndicatorResult | None = None
    for p in capped:
        res = engine.evaluate_at(name, p)
        if res.status != "no_data":
            if first is not None:
                res = replace(res, reason=f"at {p}: newest period with every input ({first.period}: {first.reason})")
            return res
        if first is None:
            first = res
        elif res.reason == first.reason:
            break
    assert first is not None
    return first


def column_period(engine: Engine, reference: date | None, names: Iterable[str] = INDICATOR_ROWS) -> date | None:
    """One period for a peer's whole column: of its newest balance sheets on or before the
    reference (eight at most), the one where the most rows have a figure; the newer on a tie.
    A column then never mixes a quarter's balance sheet with last year's income by default."""
    periods = engine.state.fin.balance_periods(engine.company)
    capped = [p for p in periods if reference is None or p <= reference][:8] or periods[:1]
    periodic = [n for n in names if n in engine.indicators and engine.indicators[n].periodic]
    best: tuple[int, date] | None = None
    for p in capped:
        n = sum(engine.evaluate_at(name, p).status != "no_data" for name in periodic)
        if best is None or n > best[0]:
            best = (n, p)
    return best[1] if best else None


def evaluate_in_column(engine: Engine, name: str, period: date | None) -> IndicatorResult:
    """An indicator at the column's period; with no figure there, at the newest older period
    that has one, the cell saying why (the column's period and its gap there)."""
    ind = engine.indicators[name]
    if not ind.periodic or period is None:
        return engine.evaluate(name)
    res = engine.evaluate_at(name, period)
    if res.status != "no_data":
        return res
    older = [p for p in engine.state.fin.balance_periods(engine.company) if p < period][:7]
    for p in older:
        alt = engine.evaluate_at(name, p)
        if alt.status != "no_data":
            return replace(alt, reason=f"at {p}, not the column's {period}: {res.reason}")
    return res


class PeerBook:
    """One engine per peer, fed only that company's observations."""

    def __init__(self, companies: Iterable[str] = DEFAULT_PEERS, main: str = "CRWV",
                 thresholds: Mapping[str, Threshold] | None = None, missing: str = "none received yet") -> None:
        self.missing = missing  # why a company with no figures at all has none
        self.companies = list(dict.fromkeys(c.upper() for c in companies))
        self.main = main.upper()
        self.thresholds = dict(thresholds or {})
        # Every indicator, as on the dashboard (the engine's financial view reads several): the
        # rows then read the very same results. Only the peer's own facts ever reach it.
        self._indicators = default_indicators()
        self.engines: dict[str, Engine] = {}
        self.lives: dict[str, UsefulLife] = {}
        self.version = 0  # moves when anything was ingested (the screen rebuilds then)

    def engine(self, company: str) -> Engine:
        eng = self.engines.get(company)
        if eng is None:
            eng = self.engines[company] = Engine(company=company, indicators=self._indicators,
                                                 thresholds=self.thresholds)
        return eng

    def ingest(self, batch: Iterable[Observation]) -> int:
        """Route each peer's facts, customer shares and useful lives to its engine. The main
        company's are ignored: its column is the dashboard's own. Returns how many were taken."""
        per: dict[str, list[Observation]] = {}
        taken = 0
        for obs in batch:
            company = str(getattr(obs, "company", "")).upper()
            if company not in self.companies or company == self.main:
                continue
            if isinstance(obs, UsefulLife):
                old = self.lives.get(company)
                if old is None or obs.period_end >= old.period_end:
                    self.lives[company] = obs
                taken += 1
            elif isinstance(obs, (FinancialFact, CustomerShare)):
                per.setdefault(company, []).append(obs)
                taken += 1
        for company, batch in per.items():
            self.engine(company).ingest(batch)
        if taken:
            self.version += 1
        return taken

    def table(self, main: Engine | None = None, main_life: tuple[float, str, date | None] | None = None) -> PeerTable:
        """The table; ``main`` is the dashboard's engine (its snapshot is the main column),
        ``main_life`` its (years, source, as-of) depreciation life."""
        reference = main.period() if main is not None else None
        table = PeerTable(list(self.companies), reference)
        for company in self.companies:
            if company == self.main and main is not None:
                self._main_column(table, main, main_life)
            else:
                self._peer_column(table, company, reference)
        for row, _ in ROWS:
            _mark_worst(table, row)
        return table

    def _main_column(self, table: PeerTable, main: Engine, life: tuple[float, str, date | None] | None) -> None:
        company, fye = self.main, fiscal_year_end(main, self.main)
        table.periods[company] = main.period()
        snap = main.snapshot.indicators
        for name in INDICATOR_ROWS:
            res = snap.get(name) or main.evaluate(name)
            table.cells[(name, company)] = _cell(name, company, res, fye, main)
        table.cells[(LIFE, company)] = _life_cell(company, life, "the dashboard's life_reported_years assumption")

    def _peer_column(self, table: PeerTable, company: str, reference: date | None) -> None:
        eng = self.engines.get(company)
        if eng is None:
            table.periods[company] = None
            for name in INDICATOR_ROWS:
                table.cells[(name, company)] = Cell(name, company, None, "no_data", None, "—",
                                                    reason=f"no figures for {company}: {self.missing}")
        else:
            fye = fiscal_year_end(eng, company)
            period = column_period(eng, reference)
            table.periods[company] = period
            for name in INDICATOR_ROWS:
                table.cells[(name, company)] = _cell(name, company, evaluate_in_column(eng, name, period), fye, eng)
        life = self.lives.get(company)
        table.cells[(LIFE, company)] = _life_cell(
            company, (life.years, life.source, life.period_end) if life else None, "")


def _cell(name: str, company: str, res: IndicatorResult, fye: int, eng: Engine) -> Cell:
    period = res.period
    if period is None and name == "top1_share":
        ends = [s.period_end for s in eng.state.customers.get(company, {}).values()]
        period = max(ends) if ends and res.value is not None else None
    return Cell(name, company, res.value, res.status, period, period_label(period, fye), res.reason, res)


def _life_cell(company: str, life: tuple[float, str, date | None] | None, what: str) -> Cell:
    if life is None:
        return Cell(LIFE, company, None, "no_data", None, "—", reason="not sourced (no disclosed useful life on file)")
    years, source, as_of = life
    return Cell(LIFE, company, float(years), "none", as_of, str(as_of) if as_of else "assumption",
                source=source + (f" ({what})" if what else ""))


def _mark_worst(table: PeerTable, row: str) -> None:
    """The worst value in a row is marked (with two or more values to compare)."""
    cells = [table.cells[(row, c)] for c in table.companies]
    have = [(cell, cell.value) for cell in cells if cell.value is not None]
    if len(have) < 2:
        return
    bad = higher_is_worse(row, table._threshold(row))
    worst, _ = max(have, key=lambda cv: cv[1] if bad else -cv[1])
    table.cells[(row, worst.company)] = replace(worst, worst=True)


__all__ = ["DEFAULT_PEERS", "LIFE", "ROWS", "Cell", "PeerBook", "PeerTable", "UsefulLife", "aligned_period",
           "column_period", "evaluate_aligned", "evaluate_in_column", "fiscal_year_end", "period_label"]

