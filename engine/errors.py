"""The root of every error gpurisk raises on purpose.

``GpuriskError`` is defined here, in the lowest layer, so the engine, the feeds and the
application can all derive from it without importing upward. The tree (``gpurisk.errors``
re-exports every class, as ``httpx`` does with its exceptions)::

    GpuriskError
    ├── NoData              engine: an indicator's input is missing or unusable (the reason is the message)
    │   └── NoDataError     feeds: the source answered but had nothing usable (also a FeedError)
    ├── FeedError           feeds: a poll failed; ``state`` is the status line's word
    │   ├── FeedDisabled, RateLimited, NoDataError
    ├── ConfigError         a config key is wrong (``key``, ``problem``)
    │   └── ConfigFileError     …in a named file (``file``, ``key``, ``problem``): exit 2
    ├── StoreError          the history cannot be used
    │   └── HistoryFileError    the path is not a gpurisk history: exit 2
    ├── CodecError          a stored record cannot be read back (also a ValueError)
    ├── NumberFormatError   a number in another convention (``2,6``, ``2_5``; also a ValueError)
    ├── LogError            the debug log cannot be opened
    └── WebError            ``gpurisk web`` cannot start

Catch ``GpuriskError`` to handle any of them; a bare ``Exception`` from gpurisk is a bug.
"""

from __future__ import annotations


class GpuriskError(Exception):
    """Any error gpurisk raises on purpose; its message is for a person."""


__all__ = ["GpuriskError"]
