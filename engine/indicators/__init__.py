"""The indicator catalogue. Each module lists its indicators in ``INDICATORS``."""

from __future__ import annotations

from ..indicator import Indicator
from . import breach, concentration, credit, gpu, leverage, market, market_credit, projected


def default_indicators() -> list[Indicator]:
    return [
        *gpu.INDICATORS, *breach.INDICATORS, *leverage.INDICATORS, *credit.INDICATORS,
        *projected.INDICATORS,
        *concentration.INDICATORS, *market.INDICATORS, *market_credit.INDICATORS,
    ]
