"""Schema migrations: a store written by any earlier release is brought to this one in place.

Alembic runs the scripts in `versions/` in order, each inside one transaction, so a store is
either upgraded whole or left as it was. A store from before migrations existed (release 0.1,
no `alembic_version` table) is recognised by its tables and recorded as revision 0001 first.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from permanence.errors import PermanenceError

SCRIPTS = Path(__file__).parent
FIRST_RELEASE = "0001"
FIRST_RELEASE_TABLES = {"lead", "case", "milestone_completion", "milestone_event", "case_state",
                        "status_change", "notice", "outbox", "check_run"}


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The migration scripts, read once: every command checks the store's revision against
    them, and reading the folder costs more than that check."""
    return ScriptDirectory(str(SCRIPTS))


def head() -> str:
    """The revision this release's code expects."""
    revision = _scripts().get_current_head()
    assert revision is not None
    return revision


def revision_of(connection: Connection) -> str | None:
    """The store's revision: None for an empty store, FIRST_RELEASE for one written before
    migrations existed."""
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None:
        return current
    tables = set(inspect(connection).get_table_names())
    return FIRST_RELEASE if tables >= FIRST_RELEASE_TABLES else None


def refuse_newer(revision: str | None, shown: str) -> None:
    """A store a newer release has upgraded cannot be used, nor taken back, by this one."""
    if revision is None:
        return
    try:
        _scripts().get_revision(revision)
    except CommandError:
        raise PermanenceError(
            f"the store {shown} was written by a newer release (schema {revision}; this release "
            f"knows schemas up to {head()}); install that release or a later one to use it"
        ) from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the store to `head()`, creating it when empty; returns (from, to) revisions."""
    with engine.begin() as connection:
        before = revision_of(connection)
        refuse_newer(before, engine.url.render_as_string())
        config = _config(connection)
        if before == FIRST_RELEASE and MigrationContext.configure(
                connection).get_current_revision() is None:
            command.stamp(config, FIRST_RELEASE)
        command.upgrade(config, "head")
    return before, head()
