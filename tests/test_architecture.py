"""The layering the project depends on: engine/ imports neither Textual nor httpx;
feeds/ never imports Textual. Checked two ways: statically (every import
statement in the source) and at run time (sys.modules after importing)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What each lower layer may not import: nothing above it (docs/architecture.md, the layer rules).
FORBIDDEN = {"engine": {"textual", "httpx", "rich", "feeds", "gpurisk", "tui"}, "feeds": {"textual", "gpurisk", "tui"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_imports_in_source(package: str) -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_cli_starts_the_dashboard() -> None:
    """No module of engine/, feeds/ or gpurisk/ imports tui (nor textual) except gpurisk/cli.py,
    which starts the dashboard; text shared by the CLI and the screens lives in gpurisk/text/."""
    offenders = {}
    for package in ("engine", "feeds", "gpurisk"):
        for p in (ROOT / package).rglob("*.py"):
            rel = str(p.relative_to(ROOT))
            if rel == "gpurisk/cli.py":
                continue
            bad = sorted(_imports(p) & {"tui", "textual"})
            if bad:
                offenders[rel] = bad
    assert offenders == {}


@pytest.mark.subprocess
@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_modules_at_run_time(package: str) -> None:
    mods = {"engine": "import engine, engine.engine, engine.indicators",
            "feeds": "import feeds.registry, feeds.runner, feeds.sample"}[package]
    code = f"{mods}\nimport sys\nprint(sorted({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    loaded = set(ast.literal_eval(out.strip()))
    assert loaded & FORBIDDEN[package] == set()


@pytest.mark.subprocess
def test_headless_snapshot_path_does_not_import_textual() -> None:
    code = "import gpurisk.cli, gpurisk.commands, gpurisk.session\nimport sys\nprint('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "False"


# --- numpy and pandas (issue 11): only where the analysis uses them, never on the way to the first frame ---
HEAVY = {"numpy", "pandas"}
RUNTIME = ("engine", "feeds", "tui", "gpurisk")
#: The modules of issue 11 that may import numpy or pandas, inside their functions only.
HEAVY_USERS = {
    "engine/breach.py": {"numpy"},  # the breach simulation
    "engine/resample.py": {"numpy", "pandas"},  # the chart screen's history resampling
    "tui/screens/chart.py": {"numpy", "pandas"},  # the chart screen (opened on demand)
}


def _heavy_imports(path: Path) -> tuple[set[str], set[str]]:
    """(heavy modules imported anywhere in the file, those imported at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    anywhere: set[str] = set()
    top: set[str] = set()

    def names(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Import):
            return {a.name.split(".")[0] for a in node.names} & HEAVY
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            return {node.module.split(".")[0]} & HEAVY
        return set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            found = names(child)
            anywhere.update(found)
            if not in_function:
                top.update(found)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return anywhere, top


def test_numpy_and_pandas_only_in_issue_11_modules_and_only_inside_functions() -> None:
    users, at_top = {}, {}
    for package in RUNTIME:
        for p in (ROOT / package).rglob("*.py"):
            rel = p.relative_to(ROOT).as_posix()
            anywhere, top = _heavy_imports(p)
            if anywhere - HEAVY_USERS.get(rel, set()):
                users[rel] = sorted(anywhere)
            if top:
                at_top[rel] = sorted(top)
    assert users == {}, "numpy/pandas imported outside the analysis modules of issue 11"
    assert at_top == {}, "numpy/pandas imported at module level: every importer would pay for it"
    assert _heavy_imports(ROOT / "engine" / "breach.py")[0] == {"numpy"}  # the check sees a real use


@pytest.mark.subprocess
def test_numpy_and_pandas_are_not_loaded_by_the_engine_feeds_or_cli() -> None:
    code = ("import engine, engine.engine, engine.indicators, engine.breach, feeds.registry, feeds.runner, "
            "gpurisk.cli, gpurisk.commands, gpurisk.session\nimport sys\n"
            "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.subprocess
def test_demo_dashboard_first_frame_without_numpy_or_pandas() -> None:
    """The real demo dashboard, headless, up to its first frame (after the first round of polls
    applied): numpy and pandas are not loaded, nor importlib.metadata (the version is a
    constant); the breach simulation the engine held back for that frame runs just after it
    (Engine.hold / Dashboard._release_held). A fresh process, so nothing else imported them."""
    code = """
import asyncio, sys
from gpurisk.session import demo_session
from tui.app import Dashboard

seen = []
real = Dashboard._release_held
def release(self):  # called once the first frame is drawn
    breach = self.session.engine.snapshot.indicators["h100_breach_prob_24m"]
    seen.append((self.session.engine.ingested > 0, breach.status,
                 sorted(m for m in ("numpy", "pandas", "importlib.metadata") if m in sys.modules)))
    real(self)
Dashboard._release_held = release

async def main():
    session = demo_session()
    app = Dashboard(session)  # polls as the real one: the first round is applied before the first paint
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        breach = session.engine.snapshot.indicators["h100_breach_prob_24m"]
        print(*seen[0])
        print(breach.status, breach.value is not None, "numpy" in sys.modules)

asyncio.run(main())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**__import__("os").environ, "GPURISK_CONFIG": "", "GPURISK_LOG": "/dev/null"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, after = proc.stdout.strip().splitlines()[-2:]
    # Data arrived before the frame; the breach probability (which has its 90 days of history
    # in the demo) was held back, so nothing on the way to the frame needed numpy ...
    assert first == "True no_data []"
    # ... and it is valued right after.
    assert after.split()[1:] == ["True", "True"] and after.split()[0] in ("ok", "watch", "alert")


@pytest.mark.subprocess
def test_the_command_reaches_its_first_frame_without_sqlite_or_heavy_libraries(tmp_path: Path) -> None:
    """``gpurisk --no-history`` in a terminal, as a user starts it, up to its first frame:
    no SQLite (there is no history to open; a bad history file is still named, exit 2,
    without it), numpy, pandas, httpx, importlib.metadata or Textual's TextArea."""
    import time

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from ptyterm import Term

    out = tmp_path / "modules"
    code = f"""
import sys
import tui.app
def first_frame(self):
    open({str(out)!r}, "w").write("\\n".join(sorted(sys.modules)))
    self.exit(0)
tui.app.Dashboard._release_held = first_frame
from gpurisk.cli import main
sys.exit(main(["--no-history"]))
"""
    t = Term([sys.executable, "-c", code], 120, 40, cwd=str(ROOT),
             env={"GPURISK_LOG": str(tmp_path / "log"), "GPURISK_CONFIG": ""})
    try:
        end = time.monotonic() + 60
        while not out.exists() and time.monotonic() < end:
            t.pump(0.05)
    finally:
        t.close()
    loaded = set(out.read_text().split())
    assert "gpurisk.session" in loaded and "tui.app" in loaded
    assert not loaded & {"sqlite3", "gpurisk.store", "numpy", "pandas", "httpx", "importlib.metadata",
                         "textual.widgets._text_area"}  # (10 ms; the key line asked "is one focused?")


def _project_imports() -> dict[str, set[str]]:
    """module -> the project modules it imports at run time (lazy imports inside functions too;
    imports under ``if TYPE_CHECKING:`` are for the type checker and left out)."""
    mods: dict[str, Path] = {}
    for package in ("engine", "feeds", "gpurisk", "tui"):
        for p in (ROOT / package).rglob("*.py"):
            parts = p.relative_to(ROOT).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
                       for n in ast.walk(node)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                mod = ".".join([*base, node.module] if node.module else base)
                targets = [mod, *(f"{mod}.{a.name}" for a in node.names)]
            edges[name].update(t for t in targets if t in mods and t != name)
    return edges


def test_no_import_cycle_between_two_modules() -> None:
    edges = _project_imports()
    pairs = sorted({tuple(sorted((a, b))) for a, outs in edges.items() for b in outs
                    if a in edges.get(b, set()) and not (a.startswith(b + ".") or b.startswith(a + "."))})
    assert pairs == []


def test_one_scheduler_and_no_probes_of_the_session_in_the_dashboard() -> None:
    """Polling is scheduled in gpurisk/scheduler.py only: the dashboard and the collector hold no
    per-feed timers or loops of their own, and the dashboard asks its session through the
    SessionView contract (gpurisk/view.py), never by probing for attributes."""
    app = (ROOT / "tui" / "app.py").read_text()
    collector = (ROOT / "gpurisk" / "serve" / "collector.py").read_text()
    for text in (app, collector):
        assert "set_timer(" not in text and "call_later(" not in text and "next_delay(" not in text
        assert "asyncio.sleep(" not in text
    assert "getattr(self.session" not in app
    peers = (ROOT / "gpurisk" / "peers.py").read_text() + (ROOT / "tui" / "screens" / "peers.py").read_text()
    assert "_peer_session" not in peers  # the peers analysis is the session's own attribute


def test_both_sessions_say_whether_they_are_remote() -> None:
    from gpurisk.remote import RemoteSession
    from gpurisk.session import Session, demo_session
    from gpurisk.view import is_remote

    local = demo_session()
    assert Session.remote is False and not is_remote(local)
    assert RemoteSession.remote is True
    assert local.peers is local.peers  # built once, on first use
