"""The one settings object (settings/): what it reads, and that nothing else reads the environment."""

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

import settings
from settings.__main__ import readme_with_tables

ROOT = Path(__file__).resolve().parent.parent
# Our packages and scripts; tests and the tool library read what they like.
SOURCE_DIRS = [
    path
    for path in ROOT.iterdir()
    if path.is_dir() and (path / "__init__.py").exists() and path.name not in ("tests", "settings")
] + [ROOT / "tools"]


def test_defaults_are_the_embedded_set_up(monkeypatch):
    for name in settings.ENVIRONMENT_NAMES:
        monkeypatch.delenv(name, raising=False)
    current = settings.current()
    assert current.loan_db_url == f"sqlite:///{ROOT / 'var' / 'loans.db'}"
    assert current.loan_policy_path == ROOT / "policy.yml"
    assert current.sms_backend == "outbox" and current.wechat_reply_timeout == 4.0
    assert current.bank_login_demo is False and current.rasa_action_schema_cache is True


def test_a_change_in_the_environment_is_seen_at_once(monkeypatch):
    monkeypatch.setenv("LOAN_DB_URL", "postgresql://root@127.0.0.1:5432/test")
    assert settings.current().loan_db_url == "postgresql://root@127.0.0.1:5432/test"
    monkeypatch.setenv("LOAN_DB_URL", "sqlite:///elsewhere.db")
    assert settings.current().loan_db_url == "sqlite:///elsewhere.db"


@pytest.mark.parametrize("blank", ["", "   "])
def test_an_empty_variable_counts_as_unset(monkeypatch, blank):
    monkeypatch.setenv("RASA_URL", blank)
    monkeypatch.setenv("WECHAT_REPLY_TIMEOUT", blank)
    assert settings.current().rasa_url == "http://localhost:5005"
    assert settings.current().wechat_reply_timeout == 4.0


def test_switches_and_numbers_are_typed(monkeypatch):
    monkeypatch.setenv("BANK_LOGIN_DEMO", "1")
    monkeypatch.setenv("RASA_ACTION_SCHEMA_CACHE", "0")
    monkeypatch.setenv("RASA_INSTANCES", "3")
    monkeypatch.setenv("CORS_ORIGINS", "https://bank.example  https://m.bank.example")
    current = settings.current()
    assert current.bank_login_demo is True and current.rasa_action_schema_cache is False
    assert current.rasa_instances == 3
    assert current.cors_origin_list == ["https://bank.example", "https://m.bank.example"]


def test_a_malformed_value_is_refused_not_guessed(monkeypatch):
    monkeypatch.setenv("RASA_INSTANCES", "two")
    with pytest.raises(ValidationError):
        settings.current()


def test_the_readme_tables_are_the_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for group in settings.GROUPS:
        assert f"<!-- settings:{group} -->" in readme, f"README.md has no table for {group}"
    assert readme_with_tables(readme) == readme, "README.md is stale: run python -m settings --readme"


def test_every_variable_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in settings.ENVIRONMENT_NAMES if f"`{name}`" not in readme]
    assert not missing


def environment_reads(tree: ast.AST):
    """``os.environ.get(...)``, ``os.environ[...]``, ``os.getenv(...)``: copying the whole
    environment for a child process (``{**os.environ}``) is not a read of a setting."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            if target in ("os.environ.get", "os.getenv", "environ.get", "os.environ.setdefault"):
                yield node.lineno
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            yield node.lineno


def test_no_module_reads_the_environment_itself():
    found = []
    for directory in SOURCE_DIRS:
        for path in directory.rglob("*.py"):
            if "node_modules" in path.parts:
                continue
            for line in environment_reads(ast.parse(path.read_text(encoding="utf-8"))):
                found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, f"read settings.current() instead: {found}"


def test_the_scan_finds_a_read():
    sneaky = ast.parse("import os\nURL = os.environ.get('LOAN_DB_URL')\nKEY = os.environ['X']\n")
    assert list(environment_reads(sneaky)) == [2, 3]
