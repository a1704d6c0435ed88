"""gpurisk: CLI, configuration and glue between feeds, engine and the dashboard."""

from feeds.base import VERSION as __version__

__all__ = ["__version__"]
