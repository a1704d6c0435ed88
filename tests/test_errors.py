"""One exception tree: every error gpurisk raises on purpose derives from GpuriskError."""

from __future__ import annotations

import inspect

import engine
import feeds
import gpurisk
import gpurisk.errors as errors
from engine.errors import GpuriskError


def test_every_exported_error_has_the_one_root() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, GpuriskError), name


def test_the_pairs_that_meant_the_same_are_one() -> None:
    assert issubclass(errors.NoDataError, errors.NoData)  # a feed's NO DATA is the engine's
    assert issubclass(errors.ConfigFileError, errors.ConfigError)  # a config error that knows its file
    e = errors.ConfigFileError("a.toml", "feeds.x.interval", "must be a number")
    assert str(e) == "a.toml: feeds.x.interval: must be a number" and e.key == "feeds.x.interval"
    assert issubclass(errors.CodecError, ValueError)  # still a ValueError for its callers


def test_no_error_class_outside_the_tree() -> None:
    """Every Exception subclass defined in engine/, feeds/ and gpurisk/ modules that are
    imported here is in the tree (or is a private helper, named with a leading underscore)."""
    import importlib
    import pkgutil

    outside = []
    for pkg in (engine, feeds, gpurisk):
        for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if mod.name.startswith(("gpurisk.__main__", "gpurisk.serve.run")):
                continue
            m = importlib.import_module(mod.name)
            for name, obj in vars(m).items():
                if (inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == m.__name__
                        and not name.startswith("_") and not issubclass(obj, GpuriskError)):
                    outside.append(f"{m.__name__}.{name}")
    assert outside == []
