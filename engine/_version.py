"""The version of gpurisk, written here only (pyproject.toml reads it: ``[tool.hatch.version]``);
in the lowest layer, so that feeds (the User-Agent) and the app read it without importing upwards.

A constant rather than ``importlib.metadata.version()``: that import costs 20-50 ms, which
every start would pay before its first frame."""

__version__ = "0.1.0"
