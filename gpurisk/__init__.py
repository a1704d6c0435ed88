"""gpurisk: CLI, configuration and glue between feeds, engine and the dashboard."""

from engine._version import __version__

__all__ = ["__version__"]
