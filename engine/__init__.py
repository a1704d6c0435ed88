"""gpurisk's engine: pure Python + numpy. Never imports textual or httpx."""

from .engine import Engine, Snapshot, StatusChange
from .indicator import IndicatorResult, NoData, Threshold
from .observations import (
    Assumption,
    BondQuote,
    CustomerShare,
    DebtFacility,
    EquityQuote,
    FilingEvent,
    FinancialFact,
    Maturity,
    Observation,
    PriceQuote,
    RateObs,
    ReceivablesShare,
)

__all__ = [
    "Engine", "Snapshot", "StatusChange", "IndicatorResult", "NoData", "Threshold", "Assumption", "BondQuote",
    "CustomerShare", "DebtFacility", "EquityQuote", "FilingEvent", "FinancialFact", "Maturity",
    "Observation", "PriceQuote", "RateObs", "ReceivablesShare",
]
