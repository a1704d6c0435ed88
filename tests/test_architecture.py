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
FORBIDDEN = {"engine": {"textual", "httpx", "rich"}, "feeds": {"textual"}}


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


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_modules_at_run_time(package: str) -> None:
    mods = {"engine": "import engine, engine.engine, engine.indicators",
            "feeds": "import feeds.registry, feeds.runner, feeds.sample"}[package]
    code = f"{mods}\nimport sys\nprint(sorted({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    loaded = set(ast.literal_eval(out.strip()))
    assert loaded & FORBIDDEN[package] == set()


def test_headless_snapshot_path_does_not_import_textual() -> None:
    code = "import gpurisk.cli, gpurisk.commands, gpurisk.session\nimport sys\nprint('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "False"
