"""Brings a loan database's schema up to date with the migrations in loandb/migrations.

python -m loandb.migrate            # LOAN_DB_URL, or the embedded SQLite file
python -m loandb.migrate --url postgresql://root@127.0.0.1:5432/test
"""

import argparse
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from loandb.session import database_url, get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The schema as create_all made it before migrations existed: such a database is adopted
# at this revision instead of being created again.
BASELINE = "0001"


def alembic_config(url: str) -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    # Through attributes, not the ini: a URL's %-escapes would trip configparser.
    config.attributes["url"] = url
    return config


@contextmanager
def sqlite_file_lock(url: str) -> Iterator[None]:
    """SQLite runs DDL outside transactions: processes migrating one file take turns.
    (PostgreSQL is serialised by an advisory lock in migrations/env.py.)"""
    database = make_url(url).database
    if not url.startswith("sqlite") or not database or database == ":memory:":
        yield
        return
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{database}.migrate-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def upgrade(url: str | None = None) -> None:
    url = url or database_url()
    config = alembic_config(url)
    with sqlite_file_lock(url):
        tables = set(inspect(get_engine(url)).get_table_names())
        if "customers" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="the database (default: LOAN_DB_URL or var/loans.db)")
    args = parser.parse_args()
    url = args.url or database_url()
    upgrade(url)
    # Never a password in a log line.
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"==> loan database schema is up to date: {shown}")


if __name__ == "__main__":
    main()
