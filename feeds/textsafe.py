"""One sanitiser for every text that came from outside, wherever it leaves the program.

Text from servers, files and config values is *data*: it must never reach a terminal as
control codes (an OSC 0 sequence sets the window title, OSC 52 writes the clipboard, CSI
recolours or clears the screen) and never show a secret, even when a server echoes the
``Authorization`` header back in its error. Every output path — CLI tables and errors,
the dashboard (``gpurisk.text.format.clean``), logs, the snapshot JSON, the alert log and the hook
payload — goes through :func:`safe`:

* :func:`redact` replaces every registered secret *by value* (each configured
  ``api_key_env`` value, every secret-looking environment variable), ``Bearer``/``Basic``
  credentials, URL user-info and key-like query parameters with ``***``;
* :func:`inert` turns every C0/C1 control character (ESC, BEL, CR, NUL, DEL, 0x80–0x9f),
  Unicode format characters (bidi overrides) and line/paragraph separators into a
  visible escape (``\\x1b``, ``\\u202e``). With ESC and the C1 introducers escaped, no
  OSC or CSI sequence survives, whichever terminator it uses.

Pure Python (no Textual, no httpx): feeds, the CLI and the dashboard all import it.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

REDACTED = "***"
#: Environment variables whose values are secrets: API keys, tokens, passwords.
SECRET_NAME = re.compile(r"(key|token|secret|passw|pwd|auth|signature|credential)", re.I)
#: ... except these, which hold a directory, a socket or a file name: masking $PWD would
#: turn every path under the working directory into ``***``.
NOT_SECRET_NAME = re.compile(r"^(PWD|OLDPWD|XAUTHORITY|SSH_AUTH_SOCK|GNOME_KEYRING_CONTROL)$"
                             r"|_(SOCK|SOCKET|PATH|DIR|FILE|HOME)$", re.I)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.I)
_SECRET_PARAM = re.compile(r"(?P<k>[?&][^=&#\s]*(?:key|token|secret|passw|signature|auth)[^=&#\s]*=)[^&#\s]*", re.I)
_AUTH_SCHEME = re.compile(r"(?P<k>\b(?:Bearer|Basic|Token|Bot)\s+)[A-Za-z0-9._~+/=-]{6,}", re.I)
#: Cheap first look: only text with one of these can hold a credential pattern.
_HINT = re.compile(r"bearer|basic|token|bot\s|://|[?&]", re.I)
MIN_SECRET = 6  # shorter values would mask ordinary words

_lock = threading.Lock()
_registered: set[str] = set()
_env_names: set[str] = set()
_version = 0
_cache: tuple[tuple[int, int], float, list[str]] = ((-1, -1), 0.0, [])
CACHE_S = 1.0  # the environment is re-read at most this often (``refresh()`` forces it)


def register_secret(value: str | None) -> None:
    """A value to mask everywhere from now on (e.g. an API key read for a feed)."""
    global _version
    if isinstance(value, str) and len(value.strip()) >= MIN_SECRET:
        with _lock:
            _registered.add(value.strip())
            _version += 1


def register_secret_env(name: str | None) -> None:
    """An environment variable holding a secret (a feed's ``api_key_env``), whatever its name."""
    global _version
    if isinstance(name, str) and name:
        with _lock:
            _env_names.add(name)
            _version += 1


def refresh() -> None:
    """Forget the cached secrets (after changing the environment in-process, e.g. in tests)."""
    global _version
    with _lock:
        _version += 1


def secrets() -> list[str]:
    """Every secret value known now, longest first (so a key containing another is masked whole).
    Cached: every repaint of the dashboard passes through here."""
    global _cache
    now = time.monotonic()
    if _cache[0][0] == _version and now - _cache[1] < CACHE_S:
        return _cache[2]
    key = (_version, 0)
    with _lock:
        vals = set(_registered)
        names = set(_env_names)
    for k, v in os.environ.items():
        if (k in names or (SECRET_NAME.search(k) and not NOT_SECRET_NAME.search(k))) and len(v.strip()) >= MIN_SECRET:
            vals.add(v.strip())
    out = sorted(vals, key=len, reverse=True)
    _cache = (key, now, out)
    return out


def redact(text: str, known: list[str] | None = None) -> str:
    """``text`` with every secret replaced by ``***``."""
    if not text:
        return text
    s = text
    if _HINT.search(s):
        s = _AUTH_SCHEME.sub(r"\g<k>" + REDACTED, s)
        s = _SECRET_PARAM.sub(r"\g<k>" + REDACTED, _URL_USERINFO.sub(r"\g<scheme>" + REDACTED + "@", s))
    for v in secrets() if known is None else known:
        if v in s:
            s = s.replace(v, REDACTED)
    return s


def _escape(ch: str) -> str:
    o = ord(ch)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def inert(text: str) -> str:
    """Control and format characters shown as visible escapes; a space stays a space."""
    if text.isprintable():  # the common case costs one C call
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def safe(obj: object, limit: int | None = None, known: list[str] | None = None) -> str:
    """Outside text made safe to show, store or log: redacted, then inert; cut to ``limit`` with …."""
    out = inert(redact(str(obj), known))
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out


def safe_obj(obj: Any, known: list[str] | None = None) -> Any:
    """Every string of a JSON-like structure (keys too) made safe; other values unchanged."""
    known = secrets() if known is None else known
    if isinstance(obj, str):
        return safe(obj, known=known)
    if isinstance(obj, dict):
        return {safe_obj(k, known) if isinstance(k, str) else k: safe_obj(v, known) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [safe_obj(v, known) for v in obj]
    return obj


__all__ = ["REDACTED", "inert", "redact", "register_secret", "refresh", "register_secret_env", "safe", "safe_obj",
           "secrets"]
