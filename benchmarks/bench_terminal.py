"""The dashboard in a real pseudo-terminal, next to a bare Textual app in the same run
(figures, not a test; noisy machines: compare the two columns of one run).

    python benchmarks/bench_terminal.py [--runs 5] [--idle 20] [--size 120x40]

Prints, from a fresh clone (only benchmarks/ptyterm.py, pyte and psutil are needed):
start-up to the first frame with data and its ratio to the bare app (and, for the floor under
that ratio, the same panels with no data: no polls), first-paint bytes,
the 1 Hz demo's CPU and bytes/s, idle live CPU and bytes/s, and key-to-screen latency
for `?` and `enter`; each against its budget (issue "lean and fast").
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ptyterm import Term

ROOT = Path(__file__).resolve().parent.parent
GPURISK = [sys.executable, "-m", "gpurisk", "--no-history"]
HELLO = [sys.executable, str(ROOT / "benchmarks" / "hello_app.py")]
#: The same dashboard with no data: its panels, session and alert rules, no polls. What the
#: first frame costs before any data is read (the floor under the ratio).
NO_DATA = [sys.executable, "-c", "from gpurisk.session import demo_session\nfrom tui.app import Dashboard\n"
           "s = demo_session()\ns.setup_alerts()\nDashboard(s, autopoll=False).run()"]
TITLES = ("GPU rental prices", "Risk indicators")
DATA = ("DEMO", "H100", "Liabilities")
#: A live configuration in which nothing moves between polls (sample files, 5-minute interval).
QUIET = ("[app]\nhistory = false\n"
         "[feeds.sample_financials]\ninterval = 300\n[feeds.sample_customers]\ninterval = 300\n")


def first_frame(cmd: list[str], markers: tuple[str, ...], cols: int, rows: int,
                warm: bool = False) -> tuple[float | None, int]:
    """(seconds to the first frame showing every marker, bytes of that frame written whole).
    ``warm``: an untimed start that writes the compiled modules, as any first start on a
    user's machine does (this machine sets ``PYTHONDONTWRITEBYTECODE``; Textual's were
    compiled when pip installed it, gpurisk's editable install never is)."""
    env = {"GPURISK_LOG": "/dev/null", **({"PYTHONDONTWRITEBYTECODE": ""} if warm else {})}
    t = Term(cmd, cols, rows, cwd=str(ROOT), env=env)
    try:
        took = t.wait_for(markers, 30)
        t.settle(0.1)  # the rest of that frame
        return took, t.bytes
    finally:
        t.close()


def verdict(ok: bool) -> str:
    return "within budget" if ok else "OVER budget"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=20.0, help="seconds of each idle window")
    ap.add_argument("--size", default="120x40")
    a = ap.parse_args()
    cols, rows = (int(x) for x in a.size.split("x"))
    small = cols < 100 or rows < 30  # one panel at a time (prices): the debt panel is a key away
    data = ("DEMO", "H100", "neo") if small else DATA
    print(f"== start-up to the first frame at {a.size}, median of {a.runs} runs (alternating, after one warm-up start)")
    gp, hello, paint, bare_ui = [], [], [], []
    titles = TITLES[:1] if small else TITLES
    first_frame(HELLO, ("Hello",), cols, rows, warm=True)
    first_frame(GPURISK, data, cols, rows, warm=True)
    for _ in range(a.runs):
        h, _ = first_frame(HELLO, ("Hello",), cols, rows)
        g, b = first_frame(GPURISK, data, cols, rows)
        n, _ = first_frame(NO_DATA, titles, cols, rows)
        if h is not None:
            hello.append(h)
        if g is not None:
            gp.append(g)
            paint.append(b)
        if n is not None:
            bare_ui.append(n)
    g_med, h_med = statistics.median(gp), statistics.median(hello)
    ratio = g_med / h_med
    print(f"   bare Textual app: {h_med:.2f} s   gpurisk with data ({', '.join(data)}): {g_med:.2f} s   "
          f"ratio {ratio:.2f}× — {verdict(ratio <= 1.5)} (≤ 1.5×, goal 1.2×)")
    if bare_ui:
        n_med = statistics.median(bare_ui)
        print(f"   the same panels with no data (no polls): {n_med:.2f} s, {n_med / h_med:.2f}× the bare app")
    kb = statistics.median(paint) / 1000
    print(f"   first paint: {kb:.0f} KB — {verdict(kb <= 60)} (≤ 60 KB at 120×40)")

    print(f"== the demo ticking once a second, {a.idle:.0f} s at {a.size}")
    t = Term(GPURISK, cols, rows, cwd=str(ROOT), env={"GPURISK_LOG": "/dev/null"})
    try:
        t.wait_for(data, 30)
        t.idle(2.0)
        cpu, bps = t.idle(a.idle)
        print(f"   {cpu:.1f}% of a core, {bps / 1000:.2f} KB/s — {verdict(cpu <= 5 and bps <= 4000)} (≤ 5%, ≤ 4 KB/s)")
        print("== key to screen (median of 5)")
        for key, marker, back in (("question_mark", "Help", "escape"), ("enter", "Explain", "escape")):
            lat = []
            for _ in range(5):
                t.idle(0.6)
                got = t.key_latency(key, marker)
                if got is not None:
                    lat.append(got)
                t.press(back)
                t.idle(0.4)
            med = statistics.median(lat) * 1000 if lat else float("nan")
            print(f"   {key}: {med:.0f} ms — {verdict(med <= 50)} (≤ 50 ms)")
    finally:
        t.close()

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as fh:
        fh.write(QUIET)
    print(f"== idle live (nothing changing between polls), {a.idle:.0f} s at {a.size}")
    t = Term([*GPURISK[:3], "--config", fh.name], cols, rows, cwd=str(ROOT), env={"GPURISK_LOG": "/dev/null"})
    try:
        t.wait_for(("LIVE", "GPU") if small else ("LIVE", "Liabilities"), 30)
        t.idle(3.0)
        cpu, bps = t.idle(a.idle)
        print(f"   {cpu:.2f}% of a core, {bps:.0f} B/s — {verdict(cpu <= 1 and bps <= 50)} (≤ 1%, ≤ 50 B/s)")
    finally:
        t.close()
        Path(fh.name).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
