"""The loan database's schema comes from Alembic migrations, on SQLite and on PostgreSQL."""
import subprocess
import sys
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from launcher import ROOT
from loandb.migrate import BASELINE, alembic_config, upgrade
from loandb.models import Base
from loandb.search_index import include_object
from tests.conftest import POSTGRES_URL, _postgres_available

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not _postgres_available(), reason="PostgreSQL not answering"))])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'loans.db'}"
        return
    schema = f"migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def schema_drift(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            # The search index (loandb/search_index.py) is the database's own, not a model.
            context = MigrationContext.configure(connection, opts={"include_object": include_object})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_models_schema(empty_url):
    upgrade(empty_url)
    # A model changed without a migration shows up here as a difference.
    assert schema_drift(empty_url) == []
    assert current_revision(empty_url) == HEAD


def test_upgrading_an_up_to_date_database_changes_nothing(empty_url):
    upgrade(empty_url)
    upgrade(empty_url)
    assert current_revision(empty_url) == HEAD
    assert schema_drift(empty_url) == []


def test_a_database_made_before_migrations_is_adopted_not_recreated(empty_url):
    engine = create_engine(empty_url)
    # The tables as the first release created them, with a customer in them.
    from alembic import command

    command.upgrade(alembic_config(empty_url), BASELINE)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text(
            "INSERT INTO customers (name, id_number, phone, id_last4, phone_last4, is_demo) "
            "VALUES ('赵六', '110101199001011234', '13800001234', '1234', '1234', false)"))
    upgrade(empty_url)
    assert current_revision(empty_url) == HEAD
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM customers")).scalar_one() == "赵六"
    engine.dispose()


def test_migrations_started_together_do_not_collide(empty_url):
    """Several servers starting at once all migrate; one does the work, the others wait."""
    commands = [subprocess.Popen([sys.executable, "-m", "loandb.migrate", "--url", empty_url], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for _ in range(3)]
    outputs = [command.communicate(timeout=120)[0] for command in commands]
    assert [command.returncode for command in commands] == [0, 0, 0], outputs
    assert "customers" in inspect(create_engine(empty_url)).get_table_names()
    assert current_revision(empty_url) == HEAD


def test_the_command_never_prints_a_password(empty_url):
    if not empty_url.startswith("postgresql"):
        pytest.skip("SQLite URLs carry no password")
    # Trust authentication here ignores the password, so a real one can be in the URL.
    with_password = empty_url.replace("postgresql://root@", "postgresql://root:s3cret-pw@")
    done = subprocess.run([sys.executable, "-m", "loandb.migrate", "--url", with_password], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "schema is up to date" in done.stdout and "***" in done.stdout
    assert "s3cret-pw" not in done.stdout + done.stderr
