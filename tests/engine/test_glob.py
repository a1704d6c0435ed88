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
