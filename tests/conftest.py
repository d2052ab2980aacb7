"""Shared fixtures: the built-in timelines, and real stores on SQLite and PostgreSQL.

PostgreSQL tests run against the server named by PERMANENCE_TEST_POSTGRES_URL (`.ci/run` starts
one with `.ci/start-postgres`). Without it they skip on a developer's machine, and fail under CI
(CI=true), so a missing server can never pass as green.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from permanence import store
from permanence.examples import EXAMPLES_DIR
from permanence.timelines import Timeline, load_timelines

POSTGRES_ENV = "PERMANENCE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def timelines() -> dict[str, Timeline]:
    return load_timelines()


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES_DIR


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: PostgreSQL tests must run in CI")
        pytest.skip(f"set {POSTGRES_ENV} (see .ci/start-postgres) to run PostgreSQL tests")
    return url


def _empty_postgres(url: str) -> str:
    engine = store.make_engine(url)
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("SELECT 1"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store (no tables yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'permanence.db'}"
    else:
        yield _empty_postgres(postgres_url())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'permanence.db'}"


@pytest.fixture
def as_of() -> date:
    return date(2026, 11, 16)
