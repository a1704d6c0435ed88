"""The indicator catalogue. Each module lists its indicators in ``INDICATORS``."""

from __future__ import annotations

from ..indicator import Indicator
from . import concentration, leverage, unit_economics


def default_indicators() -> list[Indicator]:
    return [*unit_economics.INDICATORS, *leverage.INDICATORS, *concentration.INDICATORS]
