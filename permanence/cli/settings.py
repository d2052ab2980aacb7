"""The command line's global options, resolved when a command first needs them, and the
wrapper that turns a user's mistake into plain lines instead of a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session

from permanence.clock import service_today
from permanence.errors import BadInput, PermanenceError
from permanence.store import connection
from permanence.terminal import err
from permanence.timelines import Timeline, load_timelines


@dataclass
class Settings:
    """The global options, resolved lazily so `--help` and `rules validate` need no store."""

    db: str | None
    rules: list[Path] = field(default_factory=list)
    _engine: Engine | None = None
    _timelines: dict[str, Timeline] | None = None

    @property
    def url(self) -> str:
        return connection.database_url(self.db)

    def engine(self, *, require_schema: bool = True) -> Engine:
        """The store, opened once the rules named are known to be usable: no command runs
        against a store while a named rule file is missing or broken (a vanished override
        would otherwise go unnoticed until the check moved children's dates)."""
        self.timelines()
        if self._engine is None:
            self._engine = connection.make_engine(self.url)
        if require_schema:
            connection.require_schema(self._engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def timelines(self) -> dict[str, Timeline]:
        if self._timelines is None:
            self._timelines = load_timelines(self.rules)
        return self._timelines


F = TypeVar("F", bound=Callable[..., Any])


def plain_errors(command: F) -> F:
    """Turn a user's mistake into plain lines on stderr and exit 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PermanenceError as error:
            for line in error.problems:
                err.print(line, markup=False)
            raise typer.Exit(1) from None
        except DatabaseError as error:
            reason = " ".join(str(error.orig).split())
            err.print(f"the store could not be used: {reason}", markup=False)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


# Records start in 1900 (imports refuse earlier dates); a century is left before the end of the
# calendar for due dates, escalations and the report's four weeks ahead.
AS_OF_RANGE = (date(1900, 1, 1), date(9899, 12, 31))


def parse_as_of(text: str | None, option: str = "--as-of") -> date:
    if text is None:
        return service_today()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise BadInput(f"{option} {text!r} is not a date in the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} {text!r} is not a real date") from None
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        raise BadInput(f"{option} {day} is outside the dates this tool works with "
                       f"({AS_OF_RANGE[0]} to {AS_OF_RANGE[1]}); check the year")
    return day


@contextmanager
def session_for(settings: Settings) -> Iterator[Session]:
    """One transaction: committed if the block finishes, rolled back on any error."""
    with Session(settings.engine()) as session, session.begin():
        yield session
