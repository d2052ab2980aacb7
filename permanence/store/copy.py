"""Bulk writes on PostgreSQL as COPY (`CopyPlan` says why). Imported only by a store on
PostgreSQL, so the commands on a SQLite store do not load psycopg."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import psycopg
from psycopg import sql as psql
from sqlalchemy import Column, Table
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session


class CopyPlan:
    """One bulk write on PostgreSQL, as COPY.

    Why: psycopg 3 runs an executemany as one INSERT per row (pipelined), so a first national
    check, writing every case's state and a million status changes, spent twice SQLite's time
    writing (74 s against 36 s at 100,000 cases). COPY streams the same rows in one statement,
    on the session's own connection, so they stay in the session's transaction. An upsert
    COPYs into a temporary table and merges it in one INSERT ... SELECT ... ON CONFLICT DO
    UPDATE; ids a caller needs back are taken from the table's sequence first, in one
    statement, and COPYed with their rows.

    Nothing else changes: the columns are those the first row names, in its order, then every
    other column with a plain default, which they all take (as SQLAlchemy's executemany
    does); each value goes through its type's bind processor, if any, and psycopg adapts it
    as for any statement (None is NULL; COPY's escaping of tabs, newlines and backslashes is
    psycopg's); a failure is raised as SQLAlchemy's DBAPIError, as from any statement."""

    def __init__(self, table: Table, given: list[Column[Any]], defaulted: list[Column[Any]],
                 dialect: Any) -> None:
        self.table = table
        self.names = [column.name for column in [*given, *defaulted]]
        keys = [column.key for column in given]
        self._get = (itemgetter(*keys) if len(keys) > 1
                     else lambda row, key=keys[0]: (row[key],))
        self._defaults = tuple(column.default.arg  # type: ignore[union-attr]
                               for column in defaulted)
        processors = [column.type.bind_processor(dialect) for column in [*given, *defaulted]]
        self._processors = processors if any(processors) else []

    def values(self, rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        get, defaults, processors = self._get, self._defaults, self._processors
        for row in rows:
            values = get(row) + defaults
            if processors:
                values = tuple(value if process is None else process(value)
                               for value, process in zip(values, processors, strict=True))
            yield values

    def insert(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        self._copy(session, self.table.name, self.values(rows))

    def insert_with_ids(self, session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Ids from the table's sequence, taken in one statement, then COPYed with the rows:
        the ids ascend in the order of the rows, as the rows' own inserts would number them."""
        id_column = self.table.c.id
        with _raw_cursor(session) as cursor:
            _run(cursor, psql.SQL(
                "SELECT nextval(pg_get_serial_sequence({table}, {column})) "
                "FROM generate_series(1, {count}) ORDER BY 1").format(
                table=psql.Literal(psql.Identifier(self.table.name).as_string(cursor)),
                column=psql.Literal(id_column.name), count=psql.Literal(len(rows))))
            ids = [int(row[0]) for row in cursor.fetchall()]
        self._copy(session, self.table.name,
                   ((*values, id_) for values, id_ in zip(self.values(rows), ids, strict=True)),
                   extra=id_column.name)
        return ids

    def upsert(self, session: Session, rows: Sequence[dict[str, Any]],
               keys: Sequence[str]) -> None:
        """COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT DO UPDATE.
        Of rows with the same key the last stands, as when executemany ran them in turn."""
        last = {tuple(row[key] for key in keys): row for row in rows}.values()
        updated = [self.table.c[name].name for name in rows[0]
                   if name not in keys and name in self.table.c]
        staging_name = f"_upsert_{self.table.name}"
        staging = psql.Identifier(staging_name)
        table = psql.Identifier(self.table.name)
        columns = psql.SQL(", ").join(map(psql.Identifier, self.names))
        with _raw_cursor(session) as cursor:
            _run(cursor, psql.SQL(
                "CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                "SELECT {columns} FROM {table} WITH NO DATA").format(
                staging=staging, columns=columns, table=table))
        self._copy(session, staging_name, self.values(last))
        action = psql.SQL("DO NOTHING") if not updated else psql.SQL(
            "DO UPDATE SET {}").format(psql.SQL(", ").join(
                psql.SQL("{column} = EXCLUDED.{column}").format(column=psql.Identifier(name))
                for name in updated))
        with _raw_cursor(session) as cursor:
            _run(cursor, psql.SQL(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
                "ON CONFLICT ({keys}) {action}").format(
                table=table, columns=columns, staging=staging, action=action,
                keys=psql.SQL(", ").join(psql.Identifier(self.table.c[key].name)
                                         for key in keys)))
            _run(cursor, psql.SQL("DROP TABLE {}").format(staging))

    def _copy(self, session: Session, into: str, values: Iterable[tuple[Any, ...]],
              extra: str | None = None) -> None:
        names = [*self.names, extra] if extra else self.names
        statement = psql.SQL("COPY {into} ({columns}) FROM STDIN").format(
            into=psql.Identifier(into), columns=psql.SQL(", ").join(map(psql.Identifier, names)))
        with _raw_cursor(session) as cursor, _as_sqlalchemy_error(statement.as_string(cursor)), \
                cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)


@contextmanager
def _raw_cursor(session: Session) -> Iterator[Any]:
    """A cursor on the session's own psycopg connection, in its transaction."""
    session.flush()
    connection = session.connection().connection.driver_connection
    with connection.cursor() as cursor:  # type: ignore[union-attr]
        yield cursor


def _run(cursor: Any, statement: psql.Composable) -> None:
    query = statement.as_string(cursor)
    with _as_sqlalchemy_error(query):
        cursor.execute(query)


@contextmanager
def _as_sqlalchemy_error(statement: str) -> Iterator[None]:
    """psycopg's errors raised as SQLAlchemy raises them from a statement it runs (an
    IntegrityError, an OperationalError when the server went away, ...)."""
    try:
        yield
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error
