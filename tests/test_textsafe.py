"""The one sanitiser: outside text never reaches an output as control codes or secrets."""

from __future__ import annotations

import pytest

from feeds import textsafe
from feeds.textsafe import inert, redact, safe, safe_obj

PAYLOADS = {
    "osc title, BEL": "\x1b]0;pwned\x07",
    "osc title, ST": "\x1b]0;pwned\x1b\\",
    "osc 52 clipboard": "\x1b]52;c;cm0gLXJmIH4=\x1b\\",
    "csi colour": "\x1b[31mred\x1b[0m",
    "c1 csi": "\x9b2J",
    "bidi override": "\u202eevil",
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_every_control_sequence_becomes_visible(name: str) -> None:
    out = safe("before " + PAYLOADS[name] + " after")
    assert out.isprintable() and "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert out.startswith("before ") and out.endswith(" after")
    assert "\\x1b" in out or "\\x9b" in out or "\\u202e" in out


def test_plain_text_is_unchanged_and_cut_with_an_ellipsis() -> None:
    assert safe("H100 SXM $1.71 [bold]x[/]") == "H100 SXM $1.71 [bold]x[/]"  # markup is the TUI's concern
    assert safe("abcdef", limit=4) == "abc…"
    assert inert("tab\there") == "tab\\x09here"


def test_secrets_are_masked_by_value_and_by_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCPI_KEY_VAR", "k-9f8e7d6c5b4a")
    textsafe.register_secret_env("OCPI_KEY_VAR")
    textsafe.register_secret("plain-value-123")
    text = ("401 Invalid credentials: Bearer sk-live-abcdef0123 (key k-9f8e7d6c5b4a) plain-value-123 "
            "https://user:pw@example.org/x?api_key=abc&series=1")
    out = redact(text)
    for secret in ("sk-live-abcdef0123", "k-9f8e7d6c5b4a", "plain-value-123", "user:pw", "api_key=abc"):
        assert secret not in out
    assert "Bearer ***" in out and "series=1" in out and out.count("***") == 5


def test_structures_are_made_safe_keys_too() -> None:
    textsafe.register_secret("tok-0123456789")
    out = safe_obj({"err\x1b[2J": ["tok-0123456789", 3, None], "ok": {"n": 1.5}})
    assert out == {"err\\x1b[2J": ["***", 3, None], "ok": {"n": 1.5}}


def test_every_text_field_of_an_observation_is_made_safe_a_plugins_whatever_its_types() -> None:
    """The runner looks at a built-in quote's text fields only (its dates and numbers are
    typed); a plugin's own class is looked at whole, even a field it calls a float."""
    from dataclasses import dataclass
    from datetime import UTC, datetime

    from engine.observations import Observation, PriceQuote
    from feeds.runner import _clean

    @dataclass(frozen=True, kw_only=True, slots=True)
    class PluginObs(Observation):
        level: float  # a plugin's own declaration, not checked: a string arrives here

        @property
        def key(self) -> str:
            return "plugin/x"

    now = datetime.now(UTC)
    bad = PAYLOADS["osc title, BEL"]
    q = _clean(PriceQuote(as_of=now, fetched_at=now, source=bad, sku="H100 SXM", tier="marketplace",
                          provider="vast" + bad, price=2.0), "replay")
    assert q.feed == "replay" and "\x1b" not in q.source and "\x1b" not in q.provider and q.price == 2.0
    p = _clean(PluginObs(as_of=now, fetched_at=now, source="s", level=bad), "plug")  # type: ignore[arg-type]
    assert "\x1b" not in str(p.level) and p.feed == "plug"
