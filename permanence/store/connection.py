"""Opening a store: its URL, the engine, and the schema `permanence init` creates or upgrades."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlmodel import SQLModel, create_engine

from permanence.errors import BadInput, PermanenceError
from permanence.models import migrations

DEFAULT_DB = "sqlite:///permanence.db"


def database_url(explicit: str | None) -> str:
    """--db, then PERMANENCE_DB, then permanence.db in the working directory."""
    return explicit or os.environ.get("PERMANENCE_DB") or DEFAULT_DB


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, refusing anything else in plain words that
    never show the password. PostgreSQL URLs in any spelling (`postgres://` as hosting
    providers print it, `postgresql://`, or another driver's `+psycopg2`, `+asyncpg`) are
    served by psycopg 3, the driver installed with the project."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: what cannot be parsed cannot be told apart from its password.
        raise BadInput("--db: the value given is not a database URL; expected sqlite:///PATH "
                       "or postgresql://USER:PASSWORD@HOST/DBNAME") from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not Path(database).parent.exists():
            raise BadInput(f"--db {shown!r}: folder {Path(database).parent} does not exist")
        return create_engine(parsed.set(drivername="sqlite"), connect_args={"timeout": 30})
    if backend in {"postgresql", "postgres"}:
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise BadInput(f"--db {shown!r}: only sqlite:/// and postgresql:// URLs are supported")


def init_schema(engine: Engine) -> tuple[str | None, str]:
    """Create the store, or upgrade one written by an earlier release in place, keeping every
    row; returns the (from, to) schema revisions. A SQLite store holds children's names and
    dates of birth, so its file is made readable by its owner only."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(database, 0o600)
    try:
        return migrations.upgrade(engine)
    except DatabaseError as error:
        raise _cannot_open(engine, error) from None


def _cannot_open(engine: Engine, error: DatabaseError) -> PermanenceError:
    reason = " ".join(str(error.orig).split())
    return PermanenceError(f"cannot open the store {engine.url.render_as_string()}: {reason}")


def require_schema(engine: Engine) -> None:
    """Refuse to work on a store that `permanence init` has not prepared, or that an earlier
    release wrote and `permanence init` has not upgraded yet."""
    try:
        with engine.connect() as connection:
            revision = migrations.revision_of(connection)
            tables = set(inspect(connection).get_table_names())
    except DatabaseError as error:
        raise _cannot_open(engine, error) from None
    shown = engine.url.render_as_string()
    migrations.refuse_newer(revision, shown)
    if revision is not None and revision != migrations.head():
        raise PermanenceError(f"the store {shown} was written by an earlier release (schema "
                              f"{revision}, this release needs {migrations.head()}); run "
                              "`permanence init` to upgrade it in place, keeping every row")
    missing = set(SQLModel.metadata.tables) - tables
    if missing:
        raise PermanenceError(f"the store {shown} is not initialised "
                              f"(missing tables: {', '.join(sorted(missing))}); run "
                              "`permanence init` first")
