"""Schema migrations: a store written by any earlier release is brought to this one in place.

Alembic runs the scripts in `versions/` in order, each inside one transaction, so a store is
either upgraded whole or left as it was. A store from before migrations existed (release 0.1,
no `alembic_version` table) is recognised by its tables and recorded as revision 0001 first.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from permanence.errors import PermanenceError

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).parent
FIRST_RELEASE = "0001"
FIRST_RELEASE_TABLES = {"lead", "case", "milestone_completion", "milestone_event", "case_state",
                        "status_change", "notice", "outbox", "check_run"}


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def revisions() -> tuple[str, ...]:
    """The revisions this release knows, oldest first. Each script in versions/ is named by its
    revision and follows the one before (`0007_missing_from_snapshot.py` is 0007, after 0006;
    tests/test_migrations.py holds Alembic's own reading of the scripts to it), so every
    command can check a store's revision without loading Alembic, a fifth of its start-up."""
    return tuple(sorted(path.name.partition("_")[0]
                        for path in (SCRIPTS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")))


def head() -> str:
    """The revision this release's code expects."""
    return revisions()[-1]


def revision_of(connection: Connection) -> str | None:
    """The store's revision: None for an empty store, FIRST_RELEASE for one written before
    migrations existed."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables:
        current = connection.scalar(text("SELECT version_num FROM alembic_version"))
        if current is not None:
            return str(current)
    return FIRST_RELEASE if tables >= FIRST_RELEASE_TABLES else None


def refuse_newer(revision: str | None, shown: str) -> None:
    """A store a newer release has upgraded cannot be used, nor taken back, by this one."""
    if revision is not None and revision not in revisions():
        raise PermanenceError(
            f"the store {shown} was written by a newer release (schema {revision}; this release "
            f"knows schemas up to {head()}); install that release or a later one to use it")


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the store to `head()`, creating it when empty; returns (from, to) revisions."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as connection:
        before = revision_of(connection)
        refuse_newer(before, engine.url.render_as_string())
        config = _config(connection)
        if before == FIRST_RELEASE and MigrationContext.configure(
                connection).get_current_revision() is None:
            command.stamp(config, FIRST_RELEASE)
        command.upgrade(config, "head")
    return before, head()
