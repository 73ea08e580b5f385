"""The layout holds: one direction of imports (ARCHITECTURE.md), and no blocking database work
on the console's event loop."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    return subprocess.run(
        [command, "--no-logo", "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def test_an_import_pointing_up_is_caught(tmp_path):
    """A copy of the tree where the core reaches for the database, hidden in a function."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "node_modules", "models", "var", ".rasa", "results", "tests"
        ),
    )
    (copy / "overdue" / "sneaky.py").write_text(
        "def figures():\n    from loandb.session import session_scope\n    return session_scope\n"
    )
    result = lint_imports(copy)
    assert result.returncode != 0
    assert "overdue.sneaky -> loandb.session" in result.stdout


def async_functions_opening_sessions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and ast.unparse(inner.func).endswith("session_scope"):
                    yield node.name


def test_async_console_routes_leave_the_database_to_a_thread():
    found = []
    for path in (ROOT / "console").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}:{name}" for name in async_functions_opening_sessions(tree)]
    assert not found, f"synchronous SQLAlchemy on the event loop: {found}"


def test_the_scan_sees_a_session_on_the_loop():
    tree = ast.parse("async def page():\n    with session_scope() as s:\n        pass\n")
    assert list(async_functions_opening_sessions(tree)) == ["page"]
