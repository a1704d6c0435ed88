"""Hand-made CoreWeave observations (figures from coreweave.md, USD thousands × 1000)
for engine tests; never reads sample_data."""

from __future__ import annotations

from datetime import UTC, date, datetime

from engine import (
    Assumption,
    CustomerShare,
    DebtFacility,
    EquityQuote,
    FinancialFact,
    Maturity,
    PriceQuote,
    RateObs,
)

K = 1000.0
T0 = datetime(2026, 3, 1, tzinfo=UTC)
#: Market data on the balance date: figures of a period read the rate and close of that day.
AT_BS = datetime(2024, 12, 31, tzinfo=UTC)
Q1_SRC = "sec:0001769628-25-000014"
S1_SRC = "sec:0001193125-25-044231"
FY24 = (date(2024, 1, 1), date(2024, 12, 31))
BS24 = {  # balance sheet at 2024-12-31, USD thousands
    "cash": 1_361_083, "receivables": 416_526, "current_assets": 1_916_249, "total_assets": 17_832_599,
    "debt_current": 2_468_425, "debt_noncurrent": 5_457_915, "operating_lease_current": 213_104,
    "operating_lease_noncurrent": 2_388_912, "finance_lease_current": 57_801, "finance_lease_noncurrent": 34_120,
    "current_liabilities": 4_962_581, "total_liabilities": 16_524_086, "stockholders_equity": -413_598,
    "retained_earnings": -1_476_235, "tech_equipment_cost": 9_147_000,
}
FY24_FLOWS = {"revenue": 1_915_426, "operating_income": 324_358, "interest_expense": -360_824, "d_and_a": 863_000,
              "capex": 8_700_000}
# facility, principal (thousands), rate %, floating
FACILITIES_24 = [("DDTL 1.0", 2_012_500, 15.0, False), ("DDTL 2.0", 3_843_819, 11.0, True),
                 ("2024 term loan", 1_000_000, 12.0, False), ("OEM financing", 1_177_158, 9.5, False)]
MATURITIES_25 = [("2025", 986_052), ("2026", 4_218_457), ("2027", 2_833_142), ("2028", 1_010_054),
                 ("2029", 123_780), ("thereafter", 2_000_000)]
ASSUMPTIONS = {"capex_per_gpu": 36_600.0, "capex_per_gpu_h200": 42_000.0, "capex_per_gpu_b200": 55_000.0,
               "capex_per_gpu_gb200": 65_000.0, "capex_per_gpu_a100": 20_000.0, "utilisation": 0.85, "ltv": 0.6,
               "interest_rate_pct": 11.0, "opex_per_gpu_hour": 0.35, "life_reported_years": 6.0,
               "life_technology_years": 3.0, "gb200_h100_perf_ratio": 3.0, "b200_h100_perf_ratio": 2.5}


def fact(metric: str, value: float, end: date, start: date | None = None, src: str = S1_SRC) -> FinancialFact:
    return FinancialFact(as_of=datetime.combine(end, datetime.min.time(), UTC), fetched_at=T0, source=src,
                         company="CRWV", metric=metric, value=value, period_end=end, period_start=start)


def balance_sheet(values: dict[str, float] = BS24, end: date = FY24[1]) -> list[FinancialFact]:
    return [fact(m, v * K, end) for m, v in values.items()]


def flows(values: dict[str, float] = FY24_FLOWS, period: tuple[date, date] = FY24) -> list[FinancialFact]:
    return [fact(m, v * K, period[1], period[0]) for m, v in values.items()]


def assumptions(values: dict[str, float] = ASSUMPTIONS) -> list[Assumption]:
    return [Assumption(as_of=T0, fetched_at=T0, source="test", name=n, value=v) for n, v in values.items()]


def facilities(rows=FACILITIES_24, end: date = FY24[1]) -> list[DebtFacility]:  # type: ignore[no-untyped-def]
    return [DebtFacility(as_of=T0, fetched_at=T0, source=Q1_SRC, company="CRWV", facility=n, principal=p * K,
                         period_end=end, rate=r, floating=fl) for n, p, r, fl in rows]


def maturities(rows=MATURITIES_25, end: date = date(2025, 6, 30)) -> list[Maturity]:  # type: ignore[no-untyped-def]
    return [Maturity(as_of=T0, fetched_at=T0, source="sec:0001769628-25-000041", company="CRWV", year=y,
                     principal=p * K, period_end=end) for y, p in rows]


def share(customer: str, value: float, period: str, end: date) -> CustomerShare:
    return CustomerShare(as_of=T0, fetched_at=T0, source=S1_SRC, company="CRWV", customer=customer, share=value,
                         period=period, period_end=end)


def customers() -> list[CustomerShare]:
    return [share("Microsoft", 0.35, "FY2023", date(2023, 12, 31)), share("Microsoft", 0.62, "FY2024", FY24[1]),
            share("NVIDIA", 0.15, "FY2024", FY24[1])]


def price(sku: str, tier: str, provider: str, value: float, at: datetime = T0) -> PriceQuote:
    return PriceQuote(as_of=at, fetched_at=at, source=f"test:{provider}", sku=sku, tier=tier, provider=provider,
                      price=value)


def rate(series: str, value: float, at: datetime = AT_BS) -> RateObs:
    return RateObs(as_of=at, fetched_at=at, source=f"fred:{series}", series=series, value=value)


def equity(close: float, shares: float | None, at: datetime = AT_BS) -> EquityQuote:
    return EquityQuote(as_of=at, fetched_at=at, source="test:equity", ticker="CRWV", close=close,
                       shares_outstanding=shares)


def full_batch() -> list:  # type: ignore[type-arg]
    return [*balance_sheet(), *flows(), *assumptions(), *facilities(), *maturities(), *customers(),
            price("H100 SXM", "marketplace", "vast", 1.65), price("H100 SXM", "neocloud_list", "lambda", 2.99),
            price("H100 SXM", "neocloud_list", "coreweave", 6.16), price("GB200", "neocloud_list", "coreweave", 10.5),
            price("B200", "marketplace", "vast", 3.2), price("H100 SXM", "marketplace", "runpod", 1.9),
            rate("SOFR", 4.3), rate("BAMLH0A0HYM2EY", 7.0), rate("DGS10", 4.2), equity(100.0, 480e6)]
