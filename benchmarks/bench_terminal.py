"""Start-up and idle cost of the dashboard in a real pseudo-terminal (not a test).

    python benchmarks/bench_terminal.py [--runs 5] [--idle 20]

Uses the shared measurement tools (../shared/tools: startup.py, idle.py) and runs
a bare Textual hello-world in the same run, so the two figures are comparable on
a noisy machine. Prints each tool's final `metric=value` line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(os.environ.get("GPURISK_TOOLS", ROOT.parent / "shared" / "tools"))
GPURISK = [sys.executable, "-m", "gpurisk", "--no-history"]
HELLO = [sys.executable, str(ROOT / "benchmarks" / "hello_app.py")]


def tool(name: str, *args: str) -> str:
    cmd = [sys.executable, str(TOOLS / name), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    lines = out.stdout.strip().splitlines()
    return lines[-1] if lines else f"(no output; stderr: {out.stderr.strip()[-300:]})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=20.0, help="idle window in seconds")
    ap.add_argument("--size", default="120x40")
    a = ap.parse_args()
    if not (TOOLS / "startup.py").exists():
        sys.exit(f"measurement tools not found in {TOOLS} (set GPURISK_TOOLS)")
    n = str(a.runs)
    print(f"== start-up to first frame at {a.size} (median of {n} runs)")
    print("   bare Textual hello:", tool("startup.py", "-n", n, "--size", a.size, "--marker", "Hello", "--", *HELLO))
    print("   gpurisk with data: ", tool("startup.py", "-n", n, "--size", a.size, "--marker", "DEMO",
                                        "--marker", "H100", "--marker", "Liabilities", "--", *GPURISK))
    for size in (a.size, "80x24"):
        print(f"== idle cost over {a.idle:.0f} s at {size} (replay ticking once a second)")
        print("   gpurisk:", tool("idle.py", "-S", str(a.idle), "--size", size, "--marker", "DEMO", "--", *GPURISK))
        print("   gpurisk, no COLORTERM (plain SSH):", tool("idle.py", "-S", str(a.idle), "--size", size,
              "--env", "COLORTERM=", "--marker", "DEMO", "--", *GPURISK))


if __name__ == "__main__":
    main()
