"""Every error gpurisk raises on purpose, in one place (the tree: :mod:`engine.errors`).

    from gpurisk.errors import GpuriskError, FeedError, ConfigFileError
"""

from __future__ import annotations

from engine.errors import GpuriskError
from engine.indicator import NoData
from feeds.base import ConfigError, FeedDisabled, FeedError, NoDataError, RateLimited
from feeds.numbers import NumberFormatError

from .codec import CodecError
from .config import ConfigFileError
from .logs import LogError
from .store import HistoryFileError, StoreError
from .web import WebError

__all__ = ["CodecError", "ConfigError", "ConfigFileError", "FeedDisabled", "FeedError", "GpuriskError",
           "HistoryFileError", "LogError", "NoData", "NoDataError", "NumberFormatError", "RateLimited", "StoreError",
           "WebError"]
