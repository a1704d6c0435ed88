"""``gpurisk customers --xbrl FILE_OR_URL [--json]``: customer concentration read from a filing.

Reads one 10-K/10-Q XBRL instance (a local file, or its EDGAR address: SEC wants a contact in
the User-Agent, ``[sec] contact`` or ``$GPURISK_SEC_CONTACT``) and prints every major-customer
share with its period and benchmark (:mod:`feeds.sec_customers`). Exit 0 with rows, 1 when the
instance has none, 2 when it cannot be read (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

TIMEOUT_S = 30.0


def add_parser(sub: Any, common: Any) -> None:
    c = sub.add_parser("customers", help="customer concentration from a 10-K/10-Q XBRL instance")
    common(c, suppress=True)
    c.add_argument("--xbrl", metavar="FILE_OR_URL", required=True, help="an XBRL instance (*_htm.xml): path or URL")
    c.add_argument("--json", action="store_true", help="print JSON (a list of rows)")


def _read(where: str, contact: str) -> bytes:
    from feeds.base import USER_AGENT, FeedError
    from feeds.sec_customers import MAX_BYTES

    if not where.lower().startswith(("http://", "https://")):
        try:
            with open(Path(where), "rb") as fh:
                return fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise FeedError(f"{where}: {exc.strerror or exc}") from None
    import httpx

    agent = f"{USER_AGENT} {contact}" if contact else USER_AGENT
    try:
        with httpx.Client(timeout=TIMEOUT_S, headers={"User-Agent": agent}, follow_redirects=True) as client:
            with client.stream("GET", where) as resp:
                if resp.status_code != 200:
                    raise FeedError(f"{where}: HTTP {resp.status_code}")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_BYTES:
                        break
                return bytes(body)
    except httpx.HTTPError as exc:
        raise FeedError(f"{where}: {type(exc).__name__}: {exc}") from None


def cmd_customers(cfg: Any, args: argparse.Namespace) -> int:
    from feeds.base import FeedError
    from feeds.sec_customers import parse_instance
    from feeds.sec_edgar import CONTACT_ENV, clean_contact
    from feeds.textsafe import safe

    contact = clean_contact(getattr(cfg, "contact", "") or os.environ.get(CONTACT_ENV, ""))
    try:
        rows = parse_instance(_read(args.xbrl, contact), args.xbrl)
    except FeedError as exc:
        print(f"gpurisk: customers: {safe(exc, limit=300)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=True))
    elif rows:
        for r in rows:
            start = r.period_start.isoformat() if r.period_start else "—"
            print(f"{r.customer:<32} {start} → {r.period_end.isoformat()}  {r.share * 100:5.1f}%  "
                  f"{r.benchmark:<11} {r.source}")
    else:
        print("no customer concentration facts in this instance", file=sys.stderr)
    return 0 if rows else 1
