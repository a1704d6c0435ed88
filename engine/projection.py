"""The credit chain walked forward: rents → revenue → EBITDA → debt service → liquidity.

Eight quarters from the newest reported period ``P`` (the balance-sheet date the
indicators use). Per quarter ``q = 1..8``:

* **Contracted revenue**: the remaining performance obligations (RPO) at ``P``
  recognised on the filing's schedule (``rpo_12m_pct`` within four quarters, the rest
  of ``rpo_24m_pct`` in the next four, evenly), less the largest customer's cut in a
  scenario. Without a disclosed RPO: the run-rate book ``R0 · c0 · (1 − ρ)^q``.
* **Market revenue**: capacity whose contracts rolled off plus the never-contracted
  share, ``R0 · (1 − c0·(1 − ρ)^q)``, re-priced at market rents per SKU (fleet mix ×
  today's rent ÷ the rent at ``P``, zero drift) and utilisation (today's ÷ assumed).
* **Cash costs** = ``(1 − m0)`` × revenue at unshocked rents and utilisation, ``m0`` the
  EBITDA margin of the quarter ending at ``P`` (EBIT + D&A): costs follow the capacity
  in use, not the price it fetches, so a lower rent is lost margin.
* **Interest** per facility of the newest table, scaled to the debt principal at ``P``:
  fixed at its rate, floating at SOFR (newest) + the facility's margin over SOFR on
  the table date, + a scenario's rate shock; on the balance after repayments and draws.
* **Principal** from the newest maturity schedule covering the quarter (a year's
  amount spread evenly over its quarters); **finance lease** payments (the current
  liability over four quarters; operating leases are cash costs under ASC 842);
  **committed capex** (``committed_capex_4q`` over the first four quarters).

Sources = cash + undrawn committed facilities + EBITDA; uses = interest + principal
+ committed capex + finance leases. Limits (said in explain): no taxes, no working
capital, no new financing beyond committed facilities, no capex beyond the commitment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .context import Context
from .indicator import NoData

QUARTERS = 8
#: Fleet mix assumption names per SKU (share of capacity revenue), and the tier read for its rent.
MIX: tuple[tuple[str, str], ...] = (
    ("H100 SXM", "fleet_share_h100"), ("H200", "fleet_share_h200"), ("B200", "fleet_share_b200"),
    ("GB200", "fleet_share_gb200"), ("A100 80GB", "fleet_share_a100"))
RENT_TIERS = ("marketplace", "index", "neocloud_list")
LIMITS = ("no taxes (loss-making), no working capital, no new debt beyond committed facilities, "
          "no capex beyond the commitment, no revenue from capacity not yet contracted or built")


@dataclass(frozen=True, slots=True)
class Quarter:
    label: str
    end: date
    contracted: float
    market: float
    revenue: float
    cash_costs: float
    ebitda: float
    interest: float
    principal: float
    capex: float
    leases: float
    draws: float
    debt: float  # principal outstanding at the quarter's end
    cash: float
    undrawn: float

    @property
    def uses(self) -> float:
        return self.interest + self.principal + self.capex + self.leases

    @property
    def liquidity(self) -> float:
        return self.cash + self.undrawn

    @property
    def coverage(self) -> float | None:
        return self.ebitda / self.interest if self.interest > 0 else None

    @property
    def dscr(self) -> float | None:
        service = self.interest + self.principal
        return self.ebitda / service if service > 0 else None


@dataclass(frozen=True, slots=True)
class Projection:
    period: date
    quarters: tuple[Quarter, ...]
    opening_cash: float
    opening_undrawn: float
    notes: tuple[tuple[str, str], ...] = field(default=())  # (what, how it was read)

    def sum(self, attr: str, n: int = 4) -> float:
        return math.fsum(getattr(q, attr) for q in self.quarters[:n])

    def runway_months(self, cap: float = 120.0) -> tuple[float, str]:
        """Months from ``P`` until cash + undrawn facilities run out, interpolated within the
        quarter; past the horizon the last quarter's net flow is carried on (capped)."""
        prev = self.opening_cash + self.opening_undrawn
        for i, q in enumerate(self.quarters):
            if q.liquidity < 0:
                frac = prev / (prev - q.liquidity) if prev > q.liquidity else 0.0
                return 3.0 * (i + frac), f"runs out in {q.label}"
            prev = q.liquidity
        last = self.quarters[-1]
        net = last.ebitda - last.uses
        if net >= 0:
            return cap, f"sources last past {last.label} and the last quarter adds cash (shown as {cap:g} months)"
        months = 3.0 * len(self.quarters) + 3.0 * last.liquidity / -net
        return min(cap, months), f"past {last.label} at its net outflow ({net / 1e9:,.2f} B a quarter)"

    def funding_gap(self, n: int = 4) -> float:
        """Uses − sources over the first ``n`` quarters (negative: a surplus)."""
        sources = self.opening_cash + self.opening_undrawn + self.sum("ebitda", n)
        return self.sum("uses", n) - sources

    def table(self) -> list[dict[str, Any]]:
        """Per quarter, in dollars: what explain and the JSON show (the screen has them all)."""
        return [{"quarter": q.label, "contracted_q": q.contracted, "market_q": q.market, "ebitda_q": q.ebitda,
                 "interest_q": q.interest, "principal_q": q.principal, "capex_q": q.capex,
                 "liquidity_q": q.liquidity, "coverage": q.coverage, "dscr": q.dscr} for q in self.quarters]


def quarter_ends(start: date, n: int = QUARTERS) -> list[date]:
    """The ``n`` calendar quarter ends after ``start``."""
    out, y, m = [], start.year, start.month
    m = ((m - 1) // 3 + 1) * 3  # the quarter end month of start
    for _ in range(n):
        m += 3
        if m > 12:
            y, m = y + 1, m - 12
        nxt = date(y + (m == 12), 1 if m == 12 else m + 1, 1)
        out.append(nxt - timedelta(days=1))
    return out


def label(end: date) -> str:
    return f"Q{(end.month - 1) // 3 + 1}-{end.year % 100:02d}"


# --- inputs ----------------------------------------------------------------------------
def _quarter_at(ctx: Context, metric: str, end: date) -> float:
    f = ctx.fin.quarters(ctx.company, metric).get(end)
    if f is None:
        raise NoData(f"{metric.replace('_', ' ')} for the quarter ending {end} not reported")
    ctx.use(f"{metric.replace('_', ' ')} quarter to {end}" + (f" ({f.derived})" if f.derived else ""),
            f.value, f.period_end, f.source)
    return float(f.value)


def _opt_assumption(ctx: Context, name: str) -> float | None:
    return ctx.assumption(name) if ctx.has_assumption(name) else None


def rent_factors(ctx: Context, period: date) -> tuple[dict[str, float], list[str]]:
    """Per SKU: today's rent (shocked) ÷ the rent at ``period`` (or the first day the
    history holds after it), from the first tier with both; 1.0 (zero drift) otherwise."""
    out: dict[str, float] = {}
    notes: list[str] = []
    end = datetime(period.year, period.month, period.day, 23, 59, 59, tzinfo=UTC).timestamp()
    for sku, _ in MIX:
        for tier in RENT_TIERS:
            series = ctx.state.prices.daily(sku, tier)
            if series is None or not len(series) or not ctx.has_price(sku, tier):
                continue
            pt = series.point_at(end)
            if pt is None:
                t0 = series.times()[0]
                if t0 - end > 120 * 86400:
                    continue
                pt = (t0, series.values()[0])
            ref_day = datetime.fromtimestamp(pt[0], UTC).date()
            now = ctx.price(sku, tier)
            ctx.use(f"{sku} {tier} rent on {ref_day} (reference)", pt[1], ref_day, "engine price history")
            out[sku] = now / float(pt[1])
            notes.append(f"{sku} {tier} {now:.2f} vs {float(pt[1]):.2f} on {ref_day}")
            break
        else:
            out[sku] = 1.0 * ctx._mult(sku)
            notes.append(f"{sku}: no rent history at the period, zero drift")
    return out, notes


def _schedule(ctx: Context) -> list[tuple[date, date, float, date, str]]:
    """(start, end, principal, schedule date, source) per year of the newest maturity schedule,
    each year from the newest schedule that covers it (an older schedule fills the year
    before the newest one starts)."""
    table = ctx.state.maturities.get(ctx.company, {})
    if not table:
        raise NoData(f"no maturity schedule for {ctx.company}")
    by_end: dict[date, list[Any]] = {}
    for (end, _), m in table.items():
        by_end.setdefault(end, []).append(m)
    out: list[tuple[date, date, float, date, str]] = []
    covered_from: date | None = None
    for end in sorted(by_end, reverse=True):
        for m in by_end[end]:
            if not m.year.isdigit():
                continue
            y0 = max(date(int(m.year), 1, 1), end + timedelta(days=1))
            y1 = date(int(m.year), 12, 31)
            if covered_from is not None:
                y1 = min(y1, covered_from - timedelta(days=1))
            if y1 < y0:
                continue
            out.append((y0, y1, float(m.principal), end, m.source))
        first_year = min((int(m.year) for m in by_end[end] if m.year.isdigit()), default=None)
        if first_year is not None:
            start = max(date(first_year, 1, 1), end + timedelta(days=1))
            covered_from = start if covered_from is None else min(covered_from, start)
    return out


def principal_between(sched: list[tuple[date, date, float, date, str]], a: date, b: date) -> tuple[float, set[date]]:
    """Principal due in (a, b]: each schedule year's amount spread evenly over its days."""
    due, used = 0.0, set()
    for y0, y1, amount, asof, _ in sched:
        lo, hi = max(y0, a + timedelta(days=1)), min(y1, b)
        if hi >= lo:
            due += amount * ((hi - lo).days + 1) / ((y1 - y0).days + 1)
            used.add(asof)
    return due, used


def _facilities(ctx: Context) -> tuple[list[Any], date]:
    table = ctx.state.facilities.get(ctx.company, {})
    if not table:
        raise NoData(f"no debt facility table for {ctx.company}")
    newest = max(end for (_, end) in table)
    rows = [f for (_, end), f in table.items() if end == newest and f.principal > 0 and f.rate is not None]
    if not rows:
        raise NoData(f"the facility table at {newest} has no rates")
    return rows, newest


def _sofr_on(ctx: Context, day: date) -> float | None:
    hist = ctx.state.rate_hist.get("SOFR")
    if hist is None or not len(hist):
        return None
    pt = hist.point_at(datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC).timestamp())
    return None if pt is None else float(pt[1])


def interest_rates(ctx: Context) -> tuple[float, float, float, str]:
    """(fixed share, fixed rate %, floating rate % now, how): principal-weighted over the
    newest facility table; floating = SOFR newest + each facility's margin over SOFR on the
    table date (its rate as the table states it when SOFR is missing), + the rate shock."""
    rows, asof = _facilities(ctx)
    total = sum(f.principal for f in rows)
    fixed = [f for f in rows if not f.floating]
    flo = [f for f in rows if f.floating]
    for f in rows:
        ctx.use(f"{f.facility} ({f.rate:g}% {'floating' if f.floating else 'fixed'})", f.principal,
                f.period_end, f.source)
    fixed_rate = sum(f.principal * f.rate for f in fixed) / sum(f.principal for f in fixed) if fixed else 0.0
    sofr_then, sofr_now = _sofr_on(ctx, asof), ctx.state.rates.get("SOFR")
    if flo and sofr_then is not None and sofr_now is not None:
        ctx.use(f"SOFR on {asof}", sofr_then, asof, sofr_now.source)
        ctx.use("SOFR (newest)", sofr_now.value, sofr_now.as_of, sofr_now.source)
        margin = sum(f.principal * (f.rate - sofr_then) for f in flo) / sum(f.principal for f in flo)
        float_rate = sofr_now.value + margin
        how = (f"floating: SOFR {sofr_now.value:.2f}% + {margin:.2f} pt (weighted margin over SOFR "
               f"{sofr_then:.2f}% on {asof})")
    elif flo:
        float_rate = sum(f.principal * f.rate for f in flo) / sum(f.principal for f in flo)
        how = f"floating at the table's rates of {asof} (no SOFR)"
    else:
        float_rate, how = 0.0, "no floating debt"
    float_rate += ctx.shocks.rate_bp / 100.0
    share_fixed = sum(f.principal for f in fixed) / total
    return share_fixed, fixed_rate, float_rate, f"facility table of {asof}; {how}"


# --- the walk ----------------------------------------------------------------------------
def project(ctx: Context) -> Projection:
    """The eight-quarter projection at the context's period (see the module docstring)."""
    P = base_date(ctx)
    r0 = _quarter_at(ctx, "revenue", P)
    ebit0 = _quarter_at(ctx, "operating_income", P)
    dna0 = abs(_quarter_at(ctx, "d_and_a", P))
    if not r0 > 0:
        raise NoData(f"revenue for the quarter ending {P} is not positive")
    margin0 = (ebit0 + dna0) / r0
    c0 = ctx.assumption("contracted_share")
    roll = ctx.assumption("contract_rolloff_per_quarter")
    if not (0.0 <= c0 <= 1.0 and 0.0 <= roll <= 1.0):
        raise NoData("contracted_share and contract_rolloff_per_quarter must be fractions")
    u_base = ctx.state.assumptions["utilisation"].value if "utilisation" in ctx.state.assumptions else None
    u_now = ctx.assumption("utilisation") if u_base is not None else None
    util = (u_now / u_base) if u_base and u_now is not None else 1.0
    mix = {sku: ctx.assumption(name) for sku, name in MIX if ctx.has_assumption(name)}
    if not mix or not math.isclose(sum(mix.values()), 1.0, abs_tol=0.011):
        raise NoData(f"fleet mix (fleet_share_*) must sum to 1, got {sum(mix.values()):.3f}")
    factors, rent_notes = rent_factors(ctx, P)
    price_factor = sum(share * factors.get(sku, 1.0) for sku, share in mix.items())
    # contracted book: RPO on the filing's schedule, else the run-rate book running off
    rpo = ctx.instant("rpo", at=P) if ctx.has_instant("rpo", P) else None
    s12, s24 = _opt_assumption(ctx, "rpo_12m_pct"), _opt_assumption(ctx, "rpo_24m_pct")
    cut = _top_cut(ctx)
    if ctx.has_instant("cash_and_securities", P):
        cash = ctx.instant("cash_and_securities", at=P)
    else:
        cash = ctx.instant("cash", at=P)
        if ctx.has_instant("marketable_securities", P):
            cash += ctx.instant("marketable_securities", at=P)
    opening_cash = cash
    undrawn = ctx.instant("undrawn_facilities", at=P) if ctx.has_instant("undrawn_facilities", P) else None
    if undrawn is None:
        raise NoData(f"undrawn committed facilities at {P} not reported (the runway would count cash only)")
    opening_undrawn = undrawn
    debt = ctx.instant("debt_principal", at=P) if ctx.has_instant("debt_principal", P) else (
        ctx.instant("debt_current", at=P) + ctx.instant("debt_noncurrent", at=P))
    share_fixed, fixed_rate, float_rate, rate_how = interest_rates(ctx)
    sched = _schedule(ctx)
    capex4 = ctx.assumption("committed_capex_4q")
    lease_dates = [d for d in ctx.fin.instant_periods(ctx.company, "finance_lease_current") if d <= P]
    if not lease_dates:
        raise NoData(f"finance lease liabilities at or before {P} not reported")
    fin_lease = ctx.instant("finance_lease_current", at=max(lease_dates))
    notes = [("revenue", f"quarter to {P}: {r0 / 1e9:,.3f} B; EBITDA margin {margin0:.1%} (EBIT + D&A)"),
             ("contracted", (f"RPO {rpo / 1e9:,.1f} B: {s12:g}% in 4 quarters, {s24:g}% in 8" if rpo and s12 and s24
                             else f"no RPO schedule: the run-rate book {c0:.0%} rolling off {roll:.1%} a quarter")),
             ("market rents", f"fleet mix × today's rent ÷ rent at {P}: " + "; ".join(rent_notes)),
             ("interest", rate_how), ("limits", LIMITS)]
    quarters: list[Quarter] = []
    prev_end = P
    fixed_debt, float_debt = debt * share_fixed, debt * (1.0 - share_fixed)
    for i, end in enumerate(quarter_ends(P), start=1):
        book = c0 * (1.0 - roll) ** i
        if rpo and s12 is not None and s24 is not None:
            contracted_base = rpo * (s12 / 100.0 / 4.0 if i <= 4 else (s24 - s12) / 100.0 / 4.0)
        else:
            contracted_base = r0 * book
        open_cap = r0 * (1.0 - book)
        contracted = contracted_base * (1.0 - cut)
        market = open_cap * price_factor * util
        revenue = contracted + market
        costs = (1.0 - margin0) * (contracted_base + open_cap)
        ebitda = revenue - costs
        principal, _ = principal_between(sched, prev_end, end)
        interest = (fixed_debt * fixed_rate + float_debt * float_rate) / 100.0 / 4.0
        capex = capex4 / 4.0 if i <= 4 else 0.0
        leases = fin_lease / 4.0 if i <= 4 else 0.0
        cash += ebitda - interest - principal - capex - leases
        draws = min(undrawn, -cash) if cash < 0 else 0.0
        undrawn -= draws
        cash += draws
        total = fixed_debt + float_debt
        if total > 0:  # repayments pro rata; draws on committed facilities are floating
            keep = 1.0 - min(principal, total) / total
            fixed_debt, float_debt = fixed_debt * keep, float_debt * keep
        float_debt += draws
        quarters.append(Quarter(label(end), end, contracted, market, revenue, costs, ebitda, interest, principal,
                                capex, leases, draws, fixed_debt + float_debt, cash, undrawn))
        prev_end = end
    return Projection(P, tuple(quarters), opening_cash, opening_undrawn, tuple(notes))


def base_date(ctx: Context) -> date:
    """Where the walk starts: the newest date at or after the balance-sheet period (and before
    the next one) with undrawn facilities and a reported (or derived) quarter of revenue:
    the liquidity a projection needs is often disclosed for a newer date than a full balance
    sheet. Else the balance-sheet period itself."""
    bal = ctx.balance_date()
    later = [p for p in ctx.fin.balance_periods(ctx.company) if p > bal] if ctx.at is not None else []
    limit = min(later) if later else None
    quarters = ctx.fin.quarters(ctx.company, "revenue")
    cands = [d for d in ctx.fin.instant_periods(ctx.company, "undrawn_facilities")
             if d >= bal and (limit is None or d < limit) and d in quarters]
    return max(cands) if cands else bal


def _top_cut(ctx: Context) -> float:
    """Share of contracted revenue a scenario's customer cut removes: the largest customer's
    newest disclosed share × the cut."""
    c = ctx.shocks.top_customer_cut
    if not c:
        return 0.0
    from .observations import is_aggregate_customer

    shares = [s for s in ctx.state.customers.get(ctx.company, {}).values() if not is_aggregate_customer(s.customer)]
    if not shares:
        return 0.0
    newest = max(s.period_end for s in shares)
    top = max(s.share for s in shares if s.period_end == newest)
    ctx.use(f"scenario: largest customer ({top:.0%} of revenue) cuts {c:.0%}", top * c, None, "scenario")
    return top * c


def projection(ctx: Context) -> Projection:
    """:func:`project`, computed once per change of its inputs (shared by five indicators)."""
    return ctx.cached("projection", ("fin", "debt", "maturity", "assump", "price", "rate", "cust"),
                      lambda: project(ctx))
