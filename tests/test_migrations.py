"""Stores written by an earlier release upgrade in place, on SQLite and PostgreSQL, keeping
every row; the migrations build exactly the schema the models describe.

`fixtures/store-release-0.1.sql` is a real store written by release 0.1 (before migrations):
`permanence init`, the three sample imports, one correction recorded, and one daily check of
2026-11-23 whose 12 messages failed to send. On PostgreSQL its rows are copied into a store
built by migration 0001, the schema release 0.1 created.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from typer.testing import CliRunner

from permanence import store
from permanence.cli import app
from permanence.errors import PermanenceError
from permanence.models import migrations

RELEASE_0_1 = Path(__file__).parent / "fixtures" / "store-release-0.1.sql"
ROWS_0_1 = {"lead": 12, "case": 40, "milestone_completion": 248, "milestone_event": 249,
            "case_state": 38, "status_change": 412, "notice": 44, "outbox": 12, "check_run": 1}


def sqlite_store_0_1(path: Path) -> str:
    connection = sqlite3.connect(path)
    connection.executescript(RELEASE_0_1.read_text(encoding="utf-8"))
    connection.close()
    return f"sqlite:///{path}"


def postgres_store_0_1(url: str, tmp_path: Path) -> str:
    """Migration 0001's schema, holding release 0.1's rows, copied table by table."""
    engine = store.make_engine(url)
    with engine.begin() as connection:
        config = migrations._config(connection)
        command.upgrade(config, migrations.FIRST_RELEASE)
        connection.execute(text("DROP TABLE alembic_version"))  # as release 0.1 left it
    source = store.make_engine(sqlite_store_0_1(tmp_path / "release-0.1.db"))
    tables = MetaData()
    tables.reflect(source)
    with source.connect() as reading, engine.begin() as writing:
        for table in tables.sorted_tables:
            rows = [dict(row._mapping) for row in reading.execute(select(table))]
            if rows:
                writing.execute(table.insert(), rows)
        for table in ("status_change", "notice", "outbox", "check_run", "milestone_event"):
            writing.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))
    engine.dispose()
    source.dispose()
    return url


@pytest.fixture
def store_0_1(db_url: str, tmp_path: Path) -> str:
    if db_url.startswith("sqlite"):
        return sqlite_store_0_1(tmp_path / "permanence.db")
    return postgres_store_0_1(db_url, tmp_path)


def counts(engine: Engine) -> dict[str, int]:
    tables = MetaData()
    tables.reflect(engine, only=list(ROWS_0_1))
    with engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(tables.tables[name]))
                .scalar_one() for name in ROWS_0_1}


def invoke(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", url, *args])
    return result.exit_code, result.output


class TestUpgradeInPlace:
    """`permanence init` on a release 0.1 store upgrades it to this release's schema."""

    def test_every_row_is_kept_and_the_store_works(self, store_0_1: str) -> None:
        engine = store.make_engine(store_0_1)
        assert counts(engine) == ROWS_0_1
        code, output = invoke(store_0_1, "init")
        assert code == 0, output
        assert output.splitlines()[0] == (f"Upgraded the store's schema from 0001 to "
                                          f"{migrations.head()}; every row kept.")
        assert counts(engine) == ROWS_0_1
        with engine.connect() as connection:
            assert migrations.revision_of(connection) == migrations.head()
            kinds = connection.execute(text(
                "SELECT DISTINCT kind FROM milestone_event UNION "
                "SELECT DISTINCT kind FROM milestone_completion")).scalars().all()
            assert kinds == ["done"]
            assert connection.execute(text(
                "SELECT count(*) FROM status_change WHERE at_risk")).scalar_one() == 0
            assert connection.execute(text(
                "SELECT occurred_on FROM milestone_completion WHERE case_ref = 'C-1040' "
                "AND milestone = 'panel'")).scalar_one() in (date(2026, 11, 20), "2026-11-20")
        code, output = invoke(store_0_1, "status", "--as-of", "2026-11-23", "--format", "json")
        assert code == 0, output
        code, output = invoke(store_0_1, "history", "C-1040")
        assert code == 0 and "2026-11-20" in output, output
        engine.dispose()

    def test_a_second_init_changes_nothing(self, store_0_1: str) -> None:
        assert invoke(store_0_1, "init")[0] == 0
        code, output = invoke(store_0_1, "init")
        assert (code, output.splitlines()[0].startswith("Store ready: ")) == (0, True)
        engine = store.make_engine(store_0_1)
        assert counts(engine) == ROWS_0_1
        engine.dispose()

    def test_commands_refuse_a_store_not_yet_upgraded(self, store_0_1: str) -> None:
        with pytest.raises(PermanenceError, match=(
                r"was written by an earlier release \(schema 0001, this release needs "
                rf"{migrations.head()}\); run `permanence init` to upgrade it in place")):
            engine = store.make_engine(store_0_1)
            try:
                store.require_schema(engine)
            finally:
                engine.dispose()
        code, output = invoke(store_0_1, "status", "--as-of", "2026-11-23")
        assert code == 1 and "run `permanence init` to upgrade it" in output


def test_a_store_from_a_newer_release_is_refused_by_every_command(db_url: str) -> None:
    """A release cannot know a later release's schema: `init` must not try to take it back,
    and no command may read it as if it were its own."""
    assert invoke(db_url, "init")[0] == 0
    engine = store.make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    newer = (f"was written by a newer release (schema 0099; this release knows schemas up to "
             f"{migrations.head()}); install that release or a later one to use it")
    for command_line in (["init"], ["status", "--as-of", "2026-11-23"]):
        code, output = invoke(db_url, *command_line)
        assert (code, newer in output, "Traceback" in output) == (1, True, False), output


class TestSchema:
    """Built by the migrations or upgraded from release 0.1, the schema is the models'."""

    def test_a_new_store_matches_the_models(self, db_url: str) -> None:
        engine = store.make_engine(db_url)
        assert store.init_schema(engine) == (None, migrations.head())
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection),
                                    SQLModel.metadata) == []
        engine.dispose()

    def test_an_upgraded_store_matches_the_models(self, store_0_1: str) -> None:
        engine = store.make_engine(store_0_1)
        assert store.init_schema(engine) == ("0001", migrations.head())
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection),
                                    SQLModel.metadata) == []
        engine.dispose()


def test_the_revisions_are_alembics_own_reading_of_the_scripts() -> None:
    """Commands check a store's revision against the scripts' file names, without Alembic:
    names and order must be the ones Alembic reads from the scripts themselves."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(migrations.SCRIPTS))
    oldest_first = [script.revision for script in scripts.walk_revisions()][::-1]
    assert migrations.revisions() == tuple(oldest_first)
    assert migrations.head() == scripts.get_current_head() == oldest_first[-1]
    assert migrations.revisions()[0] == migrations.FIRST_RELEASE
