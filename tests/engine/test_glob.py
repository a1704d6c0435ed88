"""Indicator input patterns match keys exactly as fnmatch does (engine.indicator._glob)."""

from fnmatch import fnmatchcase

from hypothesis import given, strategies as st

from engine.indicator import _glob

chars = st.sampled_from(list("ab/*_") + ["H100 SXM", "fin/", "price/"])
keys = st.text(alphabet="ab/_xH", max_size=12)


@given(st.lists(chars, max_size=6).map("".join), keys)
def test_same_as_fnmatch(pattern, key):
    assert _glob(pattern, key) == fnmatchcase(key, pattern)


def test_examples():
    assert _glob("fin/*/total_assets", "fin/2025-09-30/total_assets")
    assert not _glob("fin/*/total_assets", "fin/2025-09-30/total_assets_x")
    assert _glob("assump/opex_per_gpu_hour*", "assump/opex_per_gpu_hour")
    assert _glob("a*b*c", "abc") and not _glob("a*b*c", "acb")
    assert _glob("price/[HB]*", "price/H100") == fnmatchcase("price/H100", "price/[HB]*")


# --- which indicators read a key (engine/deps.py) ---------------------------------------
def _indicator(name: str, inputs: tuple[str, ...], group: str = "gpu"):
    from engine.indicator import Indicator

    return Indicator(name=name, title=name, group=group, unit="x", formula="", inputs=inputs,
                     compute=lambda ctx: 0.0)


@given(st.lists(st.lists(chars, min_size=1, max_size=5).map("".join), min_size=1, max_size=6), keys)
def test_dependents_same_as_asking_each_indicator(patterns, key):
    """Patterns filed by their first segment answer as each depends_on would, in order."""
    from engine.deps import Dependents

    inds = {f"i{n}": _indicator(f"i{n}", (p, "fin/*/debt") if n % 2 else (p,), "leverage" if n % 3 else "gpu")
            for n, p in enumerate(patterns)}
    deps = Dependents(inds)
    for k in (key, "fin/x/total_assets", "fin/x/debt", f"{key}/total_assets"):
        assert deps(k) == tuple(n for n, i in inds.items() if i.depends_on(k))


def test_dependents_of_every_built_in_key_and_a_custom_class():
    from dataclasses import dataclass

    from engine.deps import Dependents
    from engine.indicator import Indicator
    from engine.indicators import default_indicators

    @dataclass(frozen=True, slots=True)
    class Everything(Indicator):
        def depends_on(self, key: str) -> bool:
            return key.startswith("cust/")

    inds = {i.name: i for i in default_indicators()}
    inds["all_cust"] = Everything(name="all_cust", title="t", group="gpu", unit="x", formula="", inputs=(),
                                  compute=lambda ctx: 0.0)
    deps = Dependents(inds)
    built_in = [p.replace("*", "CRWV") for i in inds.values() for p in i.inputs]
    for k in [*built_in, "cust/CRWV/Microsoft", "fin/CRWV/total_assets", "nothing/here"]:
        assert deps(k) == tuple(n for n, i in inds.items() if i.depends_on(k)), k
    assert "all_cust" in deps("cust/CRWV/Microsoft") and deps("nothing/here") == ()
