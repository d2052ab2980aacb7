"""The daily check run the ways production runs it, each for real: `permanence serve` against a
Prefect server, `deployments/prefect.yaml` deployed to a process work pool and executed by a
worker, and two `permanence check` processes at once on one store. Every step is the command a
council's engineer would type, in its own process; the server is the session's Prefect test
server, the leads' channels a local HTTP receiver; PostgreSQL is restarted for real.

Case C-1 on the drift rules (conftest) is amber on 2026-11-23: one run for that day tells its
social worker, sw-1, that one step is due soon.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from conftest import empty_postgres
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from permanence import store
from permanence.cli import app
from permanence.deployments.serve import DEPLOYMENT_NAME
from permanence.flows.daily_drift_check import FLOW_NAME
from permanence.models import CaseState, CheckRun
from permanence.webhook_receiver import JsonReceiver

REPO = Path(__file__).parents[1]
AMBER_DAY = date(2026, 11, 23)
DEPLOYMENT = f"{FLOW_NAME}/{DEPLOYMENT_NAME}"
BIN = Path(sys.executable).parent  # the venv's console scripts: permanence, prefect


def make_store(url: str, rules: Path, folder: Path, receiver: JsonReceiver,
               url_args: str = "") -> None:
    """A store with the drift test's leads (each reached at the receiver, `url_args` added to
    their URLs) and case C-1, made with the command line as a new user would."""
    leads, cases = folder / "leads.csv", folder / "cases.csv"
    with leads.open("w", newline="") as handle:
        csv.writer(handle).writerows([
            ("lead_id", "name", "role", "team", "notify"),
            ("sw-1", "Sam Patel", "social_worker", "north", receiver.url_for("sw-1") + url_args),
            ("tl-north", "Priya Shah", "team_leader", "north",
             receiver.url_for("tl-north") + url_args),
            ("sm-all", "Morgan Lee", "service_manager", "*", receiver.url_for("sm-all") + url_args),
            ("la-all", "Legal Services", "legal_adviser", "*",
             receiver.url_for("la-all") + url_args)])
    with cases.open("w", newline="") as handle:
        csv.writer(handle).writerows([
            ("case_ref", "timeline", "team", "social_worker", "looked_after_on"),
            ("C-1", "drift-test", "north", "sw-1", "2026-11-16")])
    for command in (["init"], ["import", "leads", str(leads)], ["import", "cases", str(cases)]):
        result = CliRunner().invoke(app, ["--db", url, "--rules", str(rules), *command])
        assert result.exit_code == 0, result.output


def checked_days(url: str) -> list[date]:
    engine = store.make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(select(CheckRun.as_of).order_by(CheckRun.id)))
    finally:
        engine.dispose()


def production_env(url: str, rules: Path, folder: Path) -> dict[str, str]:
    """What a service's environment holds: the server, the store, the rules; a Prefect home of
    its own so nothing is written to the developer's."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_HOME": str(folder / "prefect-home"), "PERMANENCE_DB": url,
            "PERMANENCE_RULES": str(rules), "PERMANENCE_REPORT_DIR": str(folder / "reports")}


def prefect(env: dict[str, str], *args: str) -> str:
    """Run the prefect command line; its output, or the test fails showing it."""
    done = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def trigger(env: dict[str, str], *params: str) -> UUID:
    """`prefect deployment run`, as an engineer starts a run by hand; the new run's id."""
    output = prefect(env, "deployment", "run", DEPLOYMENT, *params)
    match = re.search(r"UUID:\s*([0-9a-f-]{36})", output)
    assert match, output
    return UUID(match[1])


def final_state(run_id: UUID, timeout: float = 120) -> tuple[str, str | None]:
    """(type, message) of a flow run once it has finished."""
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(run_id).state
            if state is not None and state.is_final():
                return state.type.value, state.message
            time.sleep(0.5)
    pytest.fail(f"flow run {run_id} did not finish within {timeout} s")


def wait_for_deployment(timeout: float = 60) -> None:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            try:
                client.read_deployment_by_name(DEPLOYMENT)
                return
            except ObjectNotFound:
                time.sleep(0.5)
    pytest.fail(f"{DEPLOYMENT} was not registered within {timeout} s")


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as running:
        yield running


def test_serve_runs_the_deployment_with_and_without_as_of(
        prefect_harness: None, sqlite_url: str, drift_rules: Path, tmp_path: Path,
        receiver: JsonReceiver) -> None:
    """`permanence serve` registers the 07:00 deployment and runs what is triggered on it: a run
    for a given day and a run for today both finish Completed and are recorded in the store.
    The web page answers from the same process."""
    make_store(sqlite_url, drift_rules, tmp_path, receiver)
    # serve asks the server for runs due every PREFECT_RUNNER_POLL_FREQUENCY seconds (10 by
    # default); a triggered run waited up to that long to be picked up. Once a second, the
    # same code path runs without the wait.
    env = {**production_env(sqlite_url, drift_rules, tmp_path),
           "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serving = subprocess.Popen([str(BIN / "permanence"), "serve", "--port", str(port)],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_deployment()
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(f"http://127.0.0.1:{port}/sign-in", timeout=30) as page:
            assert page.status == 200 and b"Lead id" in page.read()
        assert final_state(trigger(env, "--param", f"as_of={AMBER_DAY}")) == ("COMPLETED", None)
        assert [p["title"] for p in receiver.messages_for("sw-1")] == ["1 due soon"]
        run_today = trigger(env)
        state, message = final_state(run_today)
        # Today (in London) is after the amber day, so C-1 has moved on; the run still succeeds
        # unless a lead could not be reached, which the receiver rules out.
        assert state == "COMPLETED", message
    finally:
        output = stopped(serving)
    assert checked_days(sqlite_url)[0] == AMBER_DAY, output
    assert len(checked_days(sqlite_url)) == 2, output


def stopped(serving: subprocess.Popen[str], within: float = 120) -> str:
    """`serving`'s output once SIGINT has stopped it. One still running after `within` seconds
    fails the test and is killed: left running, it would take the next test's triggered runs.
    (In one CI run on a loaded machine, serve took over 60 s to stop; the cause was not found.)"""
    serving.send_signal(signal.SIGINT)
    try:
        return serving.communicate(timeout=within)[0]
    except subprocess.TimeoutExpired:
        serving.kill()
        output = serving.communicate()[0]
        pytest.fail(f"serve did not stop within {within:.0f} s of SIGINT:\n{output}")


def test_prefect_yaml_deploys_to_a_process_pool_run_by_a_worker(
        prefect_harness: None, postgresql_url: str, drift_rules: Path, tmp_path: Path,
        receiver: JsonReceiver) -> None:
    """deployments/prefect.yaml as its header says: a process work pool, `prefect deploy`, a
    worker; a triggered run executes in the worker on the PostgreSQL store and completes. The
    store, rules and report folder come from the worker's environment alone: deployed from a
    shell that has none of them, so nothing of the deploying shell can override them."""
    url = postgresql_url
    make_store(url, drift_rules, tmp_path, receiver)
    env = production_env(url, drift_rules, tmp_path)
    deploying = {name: value for name, value in env.items()
                 if not name.startswith("PERMANENCE_")}
    prefect(deploying, "work-pool", "create", "permanence", "--type", "process", "--overwrite")
    prefect(deploying, "deploy", "--prefect-file", "deployments/prefect.yaml", "--all")
    run_id = trigger(env, "--param", f"as_of={AMBER_DAY}")
    worker = subprocess.run([str(BIN / "prefect"), "worker", "start", "--pool", "permanence",
                             "--run-once"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=180, check=False)
    state, message = final_state(run_id, timeout=30)
    assert state == "COMPLETED", f"{message}\n{worker.stdout}\n{worker.stderr}"
    assert checked_days(url) == [AMBER_DAY]
    assert [p["title"] for p in receiver.messages_for("sw-1")] == ["1 due soon"]


class Check:
    """A `permanence check` in a process of its own, its output collected as it comes."""

    def __init__(self, env: dict[str, str], folder: Path, day: date) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "permanence"), "check", "--as-of", day.isoformat()], env=env, cwd=folder,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_output(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"no {text!r} in the output of a check:\n{self.output}")
            time.sleep(0.1)

    def finish(self, timeout: float = 120) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the process if a failed test left it running; close its output."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def checks() -> Iterator[Callable[[dict[str, str], Path, date], Check]]:
    """Start checks; every one is stopped and closed at the end, whatever the test did."""
    started: list[Check] = []

    def start(env: dict[str, str], folder: Path, day: date) -> Check:
        started.append(Check(env, folder, day))
        return started[-1]

    yield start
    for check in started:
        check.close()


def stored_days(url: str) -> set[date]:
    """The as-of dates of the stored case states: the state of the latest check, no other."""
    engine = store.make_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(CaseState.as_of)))
    finally:
        engine.dispose()


class TestOneCheckAtATime:
    """One check per store at a time, guaranteed by the database whoever starts it. The first
    check is held mid-delivery by a receiver that does not answer until the second check says
    it is waiting, so the two runs overlap for certain."""

    HELD = "?rto=60"  # apprise's read timeout, longer than the receiver is held

    @pytest.fixture
    def env(self, prefect_harness: None, db_url: str, drift_rules: Path, tmp_path: Path,
            receiver: JsonReceiver) -> dict[str, str]:
        make_store(db_url, drift_rules, tmp_path, receiver, url_args=self.HELD)
        return production_env(db_url, drift_rules, tmp_path)

    @staticmethod
    def overlapping(env: dict[str, str], folder: Path, receiver: JsonReceiver,
                    checks: Callable[[dict[str, str], Path, date], Check], first_day: date,
                    second_day: date) -> tuple[Check, Check]:
        """Start a check, hold it mid-delivery, start a second, and let the first go on once
        the second says it is waiting for it."""
        receiver.answering.clear()
        first = checks(env, folder, first_day)
        assert receiver.requested.wait(90), first.output
        second = checks(env, folder, second_day)
        second.wait_for_output(f"waiting for the check for {first_day}")
        receiver.answering.set()
        return first, second

    def test_same_day_twice_at_once_sends_what_one_run_sends(
            self, env: dict[str, str], db_url: str, tmp_path: Path, receiver: JsonReceiver,
            checks: Callable[[dict[str, str], Path, date], Check]) -> None:
        first, second = self.overlapping(env, tmp_path, receiver, checks, AMBER_DAY, AMBER_DAY)
        assert (first.finish(), second.finish()) == (0, 0), first.output + second.output
        assert [(path, p["title"]) for path, p in receiver.messages] == [("sw-1", "1 due soon")]
        assert "waited" in second.output
        assert "0 messages queued, 0 delivered" in second.output
        assert checked_days(db_url) == [AMBER_DAY, AMBER_DAY]

    def test_earlier_day_started_during_a_later_one_waits_then_is_refused(
            self, env: dict[str, str], db_url: str, tmp_path: Path, receiver: JsonReceiver,
            checks: Callable[[dict[str, str], Path, date], Check]) -> None:
        later, earlier = date(2026, 11, 27), AMBER_DAY
        first, second = self.overlapping(env, tmp_path, receiver, checks, later, earlier)
        assert first.finish() == 0, first.output
        assert second.finish() == 1, second.output
        assert ("the store was already checked for 2026-11-27; checking an earlier day "
                "(2026-11-23) would tell people about old changes again") in second.output
        assert [(path, p["title"]) for path, p in receiver.messages] == [("sw-1", "1 overdue")]
        assert checked_days(db_url) == [later]
        assert stored_days(db_url) == {later}


def restart_postgres(url: str) -> None:
    """Restart the local PostgreSQL cluster serving `url` (fast mode: every session is ended),
    as a database failover or an upgrade would."""
    port = str(make_url(url).port)
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                              check=True).stdout.split("\n")
    version, name = next(line.split()[:2] for line in clusters if line.split()[2:3] == [port])
    subprocess.run(["pg_ctlcluster", version, name, "restart", "-m", "fast"], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def restartable_cluster() -> Iterator[str]:
    """The URL of a PostgreSQL cluster of these tests' own, on a free port, made and dropped
    with Debian's cluster tools (.ci/start-postgres installs them): restarting the suite's
    shared server would end the sessions of tests running beside these ones. Needs root; under
    CI that is always so, elsewhere the tests are skipped."""
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but no PostgreSQL cluster can be made to restart "
                        "(needs root and pg_createcluster)")
        pytest.skip("restarting PostgreSQL needs root and Debian's pg_createcluster")
    version = max(os.listdir("/usr/lib/postgresql"), key=int)
    name = f"restarts-{os.getpid()}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def run(*command: str) -> None:
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    run("pg_createcluster", version, name, "-p", str(port), "--start")
    try:
        run("su", "postgres", "-c", f"psql -p {port} -qc \"CREATE ROLE permanence LOGIN "
                                    "PASSWORD 'permanence'\"")
        run("su", "postgres", "-c", f"createdb -p {port} -O permanence permanence_restarts")
        yield f"postgresql+psycopg://permanence:permanence@127.0.0.1:{port}/permanence_restarts"
    finally:
        run("pg_dropcluster", "--stop", version, name)


@pytest.fixture
def restartable_postgres(restartable_cluster: str) -> str:
    """An empty store on the cluster these tests may restart."""
    return empty_postgres(restartable_cluster)


class TestPostgresRestarts:
    """The production store restarts (a failover, an upgrade) between two checks and in the
    middle of one: the run caught by it fails naming the database, and the next run is clean
    with nothing lost."""

    @pytest.fixture
    def env(self, prefect_harness: None, restartable_postgres: str, drift_rules: Path,
            tmp_path: Path, receiver: JsonReceiver) -> dict[str, str]:
        make_store(restartable_postgres, drift_rules, tmp_path, receiver, url_args="?rto=60")
        return production_env(restartable_postgres, drift_rules, tmp_path)

    def test_between_two_runs(self, env: dict[str, str], restartable_postgres: str,
                              tmp_path: Path, receiver: JsonReceiver,
                              checks: Callable[[dict[str, str], Path, date], Check]) -> None:
        assert checks(env, tmp_path, AMBER_DAY).finish() == 0
        restart_postgres(restartable_postgres)
        later = checks(env, tmp_path, date(2026, 11, 27))
        assert later.finish() == 0, later.output
        assert [(path, p["title"]) for path, p in receiver.messages] == [
            ("sw-1", "1 due soon"), ("sw-1", "1 overdue")]

    def test_in_the_middle_of_a_run(self, env: dict[str, str], restartable_postgres: str,
                                    tmp_path: Path, receiver: JsonReceiver,
                                    checks: Callable[[dict[str, str], Path, date], Check]
                                    ) -> None:
        receiver.answering.clear()
        caught = checks(env, tmp_path, AMBER_DAY)
        assert receiver.requested.wait(90), caught.output
        restart_postgres(restartable_postgres)  # while the run is delivering
        receiver.answering.set()
        assert caught.finish() == 1, caught.output
        assert ("the store postgresql+psycopg://permanence:***@" in caught.output
                and "stopped answering during the check" in caught.output), caught.output
        assert "Traceback" not in caught.output

        again = checks(env, tmp_path, AMBER_DAY)
        assert again.finish() == 0, again.output
        # The message reached sw-1 while the database was going down; whether its sending was
        # recorded decides whether it is sent again: at least once, never lost.
        titles = [p["title"] for path, p in receiver.messages if path == "sw-1"]
        assert titles[0] == "1 due soon" and set(titles) == {"1 due soon"}, titles
        assert checked_days(restartable_postgres)[-1] == AMBER_DAY
        assert stored_days(restartable_postgres) == {AMBER_DAY}


def test_killed_while_delivering_the_next_run_sends_again(
        prefect_harness: None, sqlite_url: str, drift_rules: Path, tmp_path: Path,
        receiver: JsonReceiver, checks: Callable[[dict[str, str], Path, date], Check]) -> None:
    """The process is killed (SIGKILL) while a message is on its way: its lock dies with it,
    and the next run sends the message again: a duplicate, never a loss."""
    make_store(sqlite_url, drift_rules, tmp_path, receiver, url_args="?rto=60")
    env = production_env(sqlite_url, drift_rules, tmp_path)
    receiver.answering.clear()
    killed = checks(env, tmp_path, AMBER_DAY)
    assert receiver.requested.wait(90), killed.output
    killed.close()  # SIGKILL: nothing runs after it, no finally, no lock released by hand
    receiver.answering.set()
    again = checks(env, tmp_path, AMBER_DAY)
    assert again.finish() == 0, again.output
    assert "were being sent when an earlier check stopped" in again.output
    assert [p["title"] for p in receiver.messages_for("sw-1")][-1] == "1 due soon"
    assert checked_days(sqlite_url)[-1] == AMBER_DAY
