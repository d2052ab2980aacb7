"""Shared fixtures: the built-in timelines, and real stores on SQLite and PostgreSQL.

PostgreSQL tests run against the server named by PERMANENCE_TEST_POSTGRES_URL (`.ci/run` starts
one with `.ci/start-postgres`). Without it they skip on a developer's machine, and fail under CI
(CI=true), so a missing server can never pass as green.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple, cast

import fsspec
import pytest
import typer.testing
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from permanence import csvfiles, row_checks, store
from permanence.evaluate import CaseFacts, LeadDirectory, evaluate
from permanence.examples import EXAMPLES_DIR
from permanence.timelines import Timeline, load_timelines

POSTGRES_ENV = "PERMANENCE_TEST_POSTGRES_URL"
SAMPLE_TODAY = date(2026, 11, 23)  # the "today" the sample's dates are checked against


class SampleData(NamedTuple):
    """The sample CSVs, checked as an import would check them, as the core's inputs."""

    facts: list[CaseFacts]
    leads: list[tuple[str, str, str]]
    lead_names: dict[str, str]
    names: dict[str, str]


def load_sample(examples: Path, timelines: Mapping[str, Timeline]) -> SampleData:
    """No database: the CSVs through the import checks, read into CaseFacts as the store reads
    them back (store.load_case_facts): events in file order, so of the `done` and
    `not_applicable` rows for one case and milestone the last stands; every `done` date of a
    recurring milestone is an occurrence (its earliest `not_applicable` row makes it n/a); every
    booked date and extension is kept in file order; pauses, and sibling groups."""
    leads = row_checks.check_leads(csvfiles.read_csv(examples / "leads.csv",
                                                     csvfiles.LEAD_COLUMNS, ()))
    cases = row_checks.check_cases(
        csvfiles.read_csv(examples / "cases.csv", csvfiles.CASE_COLUMNS, csvfiles.CASE_OPTIONAL),
        timelines=timelines, lead_ids={lead["lead_id"] for lead in leads}, today=SAMPLE_TODAY)
    known = {str(c["case_ref"]): (str(c["timeline"]), cast(date, c["looked_after_on"]))
             for c in cases}
    events = row_checks.check_events(
        csvfiles.read_csv(examples / "events.csv", csvfiles.EVENT_COLUMNS,
                          csvfiles.EVENT_OPTIONAL),
        cases=known, timelines=timelines, today=SAMPLE_TODAY)
    recurring = {name: {m.id for m in timeline.milestones if m.is_recurring}
                 for name, timeline in timelines.items()}
    standing: dict[str, dict[str, tuple[str, date]]] = {ref: {} for ref in known}
    occurrences: dict[str, dict[str, list[date]]] = {ref: {} for ref in known}
    recurring_na: dict[str, dict[str, date]] = {ref: {} for ref in known}
    planned: dict[str, dict[str, list[tuple[date, date]]]] = {ref: {} for ref in known}
    for event in events:
        ref, milestone, kind = str(event["case_ref"]), str(event["milestone"]), event["kind"]
        on = cast(date, event["occurred_on"])
        if kind == "planned":
            planned[ref].setdefault(milestone, []).append((cast(date, event["noted_on"]), on))
            continue
        standing[ref][milestone] = (str(kind), on)
        if milestone in recurring[known[ref][0]]:
            if kind == "done":
                occurrences[ref].setdefault(milestone, []).append(on)
            else:
                recurring_na[ref][milestone] = min(on, recurring_na[ref].get(milestone, on))
    pauses: dict[str, list[tuple[date, date | None]]] = {ref: [] for ref in known}
    if (examples / "pauses.csv").exists():
        for pause in row_checks.check_pauses(csvfiles.read_csv(
                examples / "pauses.csv", ("case_ref", "paused_from", "reason"), ("paused_to",)),
                cases=known, today=SAMPLE_TODAY):
            pauses[str(pause["case_ref"])].append(
                (cast(date, pause["paused_from"]), cast("date | None", pause["paused_to"])))

    def facts_of(extensions: Mapping[str, Mapping[str, list[tuple[date, date]]]],
                 ) -> list[CaseFacts]:
        return [CaseFacts(
            ref, str(c["timeline"]), str(c["team"]), str(c["social_worker"]),
            cast(date, c["looked_after_on"]), cast("date | None", c["closed_on"]),
            {m: on for m, (kind, on) in standing[ref].items() if kind == "done"},
            {**{m: on for m, (kind, on) in standing[ref].items() if kind == "not_applicable"},
             **recurring_na[ref]},
            occurrences[ref], planned[ref], tuple(pauses[ref]), extensions.get(ref, {}),
            cast("str | None", c.get("sibling_group")))
            for c in cases for ref in [str(c["case_ref"])]]

    extended: dict[str, dict[str, list[tuple[date, date]]]] = {}
    if (examples / "extensions.csv").exists():
        unextended = {f.case_ref: f for f in facts_of({})}
        directory = LeadDirectory([(lead["lead_id"], lead["role"], lead["team"])
                                   for lead in leads])

        def due_on(case_ref: str, milestone: str, day: date) -> date | None:
            rows = evaluate(timelines, [unextended[case_ref]], directory, day).statuses
            return next((row.due for row in rows if row.milestone == milestone), None)

        for extension in row_checks.check_extensions(
                csvfiles.read_csv(examples / "extensions.csv", csvfiles.EXTENSION_COLUMNS, ()),
                cases=known, timelines=timelines, lead_ids={lead["lead_id"] for lead in leads},
                today=SAMPLE_TODAY, due_on=due_on):
            extended.setdefault(str(extension["case_ref"]), {}).setdefault(
                str(extension["milestone"]), []).append(
                (cast(date, extension["approved_on"]), cast(date, extension["extended_to"])))
    return SampleData(facts_of(extended),
                      [(lead["lead_id"], lead["role"], lead["team"]) for lead in leads],
                      {lead["lead_id"]: lead["name"] for lead in leads},
                      {str(c["case_ref"]): str(c["child_name"]) for c in cases
                       if c.get("child_name")})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots", action="store_true", default=False,
        help="rewrite the golden snapshots in tests/snapshots/ that differ; each rewritten "
             "snapshot's test still fails, so the git diff is reviewed before a rerun passes")


CHART_CACHE_ENV = "PERMANENCE_CHART_CACHE"


def pytest_configure(config: pytest.Config) -> None:
    """Set in the controlling process, before the workers start, so that they and every
    command they start inherit it:

    - bytecode is kept. The session starts about a hundred Python processes (commands,
      servers, Dask and Prefect workers); with PYTHONDONTWRITEBYTECODE set, as on these
      machines, each would compile the project afresh, and each test worker would rewrite
      every test module's asserts again. The bytecode goes to the git-ignored __pycache__
      folders, as it does wherever the variable is not set.
    - one chart cache for the session, shared by the test workers and every command they
      start, so the many reports of the sample draw each chart once; not the developer's own
      cache folder. A cache named in the environment is used as it is."""
    if hasattr(config, "workerinput"):
        return
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    if os.environ.get(CHART_CACHE_ENV):
        return
    folder = tempfile.mkdtemp(prefix="permanence-charts-")
    os.environ[CHART_CACHE_ENV] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@pytest.fixture(scope="session")
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    """True only when pytest was given --update-snapshots on its command line: no environment
    variable can turn it on, so a rewrite is always a deliberate act."""
    return bool(request.config.getoption("--update-snapshots"))


@pytest.fixture(scope="session", autouse=True)
def reports_out_of_the_way(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Daily checks run by tests write their reports to a temporary folder, never the repo."""
    folder = tmp_path_factory.mktemp("reports")
    before = os.environ.get("PERMANENCE_REPORT_DIR")
    os.environ["PERMANENCE_REPORT_DIR"] = str(folder)
    yield
    if before is None:
        del os.environ["PERMANENCE_REPORT_DIR"]
    else:
        os.environ["PERMANENCE_REPORT_DIR"] = before


@pytest.fixture(scope="session", autouse=True)
def cli_built_once() -> Iterator[None]:
    """typer's test runner builds the click command from the app's signatures on every
    invoke, a tenth of a command-line test's time; the app does not change during a session,
    so it is built once. (Speed only: were typer to rename the helper, nothing is patched.)"""
    build = getattr(typer.testing, "_get_command", None)
    with pytest.MonkeyPatch.context() as patch:
        if build is not None:
            patch.setattr(typer.testing, "_get_command", functools.cache(build))
        yield


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
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _database_of_worker(url, worker) if worker else url


@functools.cache
def _database_of_worker(url: str, worker: str) -> str:
    """Under pytest-xdist each worker has a database of its own on the same server (the test
    role may create databases, see .ci/start-postgres), so tests running side by side never
    drop each other's tables."""
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).first() is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def empty_postgres(url: str) -> str:
    """The database at `url` with no tables at all: those of this release, and any another
    release (a branch checked out before, a newer migration) left there."""
    engine = store.make_engine(url)
    try:
        with engine.begin() as connection:
            for table in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store (no tables yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'permanence.db'}"
    else:
        yield empty_postgres(postgres_url())


@pytest.fixture
def postgresql_url() -> str:
    """An empty store (no tables yet) on PostgreSQL only, for what production runs there."""
    return empty_postgres(postgres_url())


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'permanence.db'}"


def import_sample(url: str, examples: Path) -> None:
    """`permanence init`, then the sample leads, cases, events, pauses and extensions imported,
    each by its command, as a user would."""
    from permanence.cli import app

    runner = typer.testing.CliRunner()
    assert runner.invoke(app, ["--db", url, "init"], catch_exceptions=False).exit_code == 0
    for kind in ("leads", "cases", "events", "pauses", "extensions"):
        result = runner.invoke(app, ["--db", url, "import", kind, str(examples / f"{kind}.csv")],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output


@contextmanager
def _server(parsed: URL) -> Iterator[Connection]:
    """A connection to the server's `postgres` database, outside any transaction, for
    statements on whole databases (never made on the database they name)."""
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


class StoreTemplates:
    """Stores that many tests start from, each made once a session by `make(url)` and copied
    into a test's database: on SQLite a file copied; on PostgreSQL a database beside the test
    database (`<name>_<key>`, one per xdist worker) that the test database is made again from
    with CREATE DATABASE ... TEMPLATE. A copy holds what `make` wrote, at a fraction of the
    time the commands take to write it. The templates are never written to after."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._made: dict[tuple[str, str], str] = {}

    def sqlite_file(self, key: str, make: Callable[[str], object]) -> Path:
        if ("sqlite", key) not in self._made:
            path = self._factory.mktemp(f"template-{key}") / "permanence.db"
            make(f"sqlite:///{path}")
            self._made["sqlite", key] = str(path)
        return Path(self._made["sqlite", key])

    def copy(self, db_url: str, key: str, make: Callable[[str], object]) -> str:
        """The store at `db_url` (empty, as db_url leaves it) made a copy of `key`'s."""
        if db_url.startswith("sqlite:///"):
            shutil.copy2(self.sqlite_file(key, make), db_url.removeprefix("sqlite:///"))
            return db_url
        parsed = make_url(db_url)
        if (db_url, key) not in self._made:
            template = f"{parsed.database}_{key}"
            with _server(parsed) as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{template}"'))
            make(parsed.set(database=template).render_as_string(hide_password=False))
            self._made[db_url, key] = template
        with _server(parsed) as connection:
            try:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" '
                                        "WITH (FORCE)"))
                connection.execute(text(f'CREATE DATABASE "{parsed.database}" TEMPLATE '
                                        f'"{self._made[db_url, key]}"'))
                return db_url
            except DBAPIError:
                # Someone else (another role's psql, say) is connected to one of the two: the
                # same store, made by the commands instead.
                if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                      {"name": parsed.database}).first() is None:
                    connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        make(empty_postgres(db_url))
        return db_url


@pytest.fixture(scope="session")
def store_templates(tmp_path_factory: pytest.TempPathFactory) -> StoreTemplates:
    return StoreTemplates(tmp_path_factory)


@pytest.fixture(scope="session")
def sample_sqlite(store_templates: StoreTemplates, examples: Path) -> Path:
    """The sample imported once (`import_sample`) into a SQLite file that no test writes to."""
    return store_templates.sqlite_file("sample", lambda url: import_sample(url, examples))


@pytest.fixture
def loaded(db_url: str, examples: Path, store_templates: StoreTemplates) -> str:
    """A store holding the sample leads, cases, events, pauses and extensions, on each
    backend, as `import_sample` leaves it (a copy of the session's)."""
    return store_templates.copy(db_url, "sample", lambda url: import_sample(url, examples))


@pytest.fixture
def as_of() -> date:
    return date(2026, 11, 16)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session, for the tests that run real flows.

    It takes 15-25 s to start, so it starts once, and only when such a test asks for it. The
    server is kept from calling home (as `permanence check` does) and serves no UI; flow-run
    heartbeats are off: a heartbeat thread is joined at the end of every run, which costs up
    to a second a run and checks nothing these tests need."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        patch.setenv("PREFECT_SERVER_UI_ENABLED", "false")
        with prefect_test_harness(server_startup_timeout=120), temporary_settings(
                updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


DRIFT_RULES = """\
# A small timeline for the drift tests: Scottish working days, so St Andrew's Day (Monday
# 30 November 2026) is not a working day.
timeline: drift-test
title: Drift test route
jurisdiction: scotland
version: "test.1"
milestones:
  - id: looked_after
    title: Child became looked after
  - id: review
    title: First review held
    after: looked_after
    within: 10 days
    amber: 3 days
    owner: social_worker
    escalate:
      - {after: 2 working days, to: team_leader}
      - {after: 3 working days, to: service_manager}
  - id: legal_advice
    title: Legal advice received
    after: review
    within: 5 days
    owner: legal_adviser
    escalate:
      - {after: 1 day, to: team_leader}
      - {after: 1 day, to: legal_adviser}
"""


@pytest.fixture(scope="session")
def drift_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The drift tests' rule file: `review` (10 days, amber 3 days before, owner the social
    worker, escalated 2 and 3 working days after the due date to team_leader then
    service_manager) and `legal_advice` after it (5 days, amber on the due date only, owner
    legal_adviser, both tiers 1 day after the due date: team_leader, and legal_adviser again)."""
    path = tmp_path_factory.mktemp("drift-rules") / "drift-test.yaml"
    path.write_text(DRIFT_RULES, encoding="utf-8")
    return path


def text_of(html: str) -> str:
    """The page's visible text, tags stripped and whitespace collapsed."""
    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.skip += tag in {"style", "svg"}

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in {"style", "svg"}

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


class Inbox:
    """A folder on a file system, as a council's export drops files there."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fs, self.root = fsspec.core.url_to_fs(url)
        self.fs.makedirs(self.root, exist_ok=True)

    def put(self, name: str, text: str) -> None:
        self.fs.pipe_file(f"{self.root}/{name}", text.encode("utf-8"))

    def rename(self, old: str, new: str) -> None:
        self.fs.mv(f"{self.root}/{old}", f"{self.root}/{new}")

    def names(self, folder: str = "") -> list[str]:
        path = f"{self.root}/{folder}".rstrip("/")
        if not self.fs.exists(path):
            return []
        return sorted(entry["name"].rstrip("/").rsplit("/", 1)[-1]
                      for entry in self.fs.ls(path, detail=True) if entry["type"] == "file")

    def read(self, path: str) -> str:
        return str(self.fs.cat_file(f"{self.root}/{path}").decode("utf-8"))


@pytest.fixture(params=["local", "memory"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Inbox]:
    """An empty inbox: a local folder (a bare path), or fsspec's memory file system (a URL)."""
    if request.param == "local":
        yield Inbox(str(tmp_path / "inbox"))
        return
    url = f"memory://inbox-{uuid.uuid4().hex}"
    made = Inbox(url)
    try:
        yield made
    finally:
        made.fs.rm(made.root, recursive=True)


def init_store(url: str) -> None:
    """A new store at `url`, as `permanence init` makes it."""
    made = store.make_engine(url)
    try:
        store.init_schema(made)
    finally:
        made.dispose()


@pytest.fixture
def engine(db_url: str, store_templates: StoreTemplates) -> Iterator[Engine]:
    """A new store on the test's database, for the inbox tests (a module's own wins): a copy
    of one `init_store` made, the migrations run once a session rather than once a test."""
    made = store.make_engine(store_templates.copy(db_url, "new", init_store))
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def rules(drift_rules: Path) -> dict[str, Timeline]:
    """The built-in timelines and the drift test's, loaded: the inbox tests' cases use them."""
    return load_timelines([drift_rules])
