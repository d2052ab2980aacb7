"""Every command, each bad configuration an operator can give it: a store URL of any spelling,
a rule file that cannot be used, a Prefect server that is down or is not one. Each ends with
exit 1 and plain lines on stderr (one sentence, or one line per rule problem), never a
traceback, never a password. The walk is the whole command line, so a command added later
without its guard fails here."""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from permanence.cli import app
from permanence.examples import EXAMPLES_DIR

runner = CliRunner()
PASSWORD = "S3cretPw"

STORE_COMMANDS: dict[str, list[str]] = {
    "init": ["init"],
    "purge": ["purge", "--closed-before", "2020-01-01"],
    "import leads": ["import", "leads", str(EXAMPLES_DIR / "leads.csv")],
    "import cases": ["import", "cases", str(EXAMPLES_DIR / "cases.csv")],
    "import events": ["import", "events", str(EXAMPLES_DIR / "events.csv")],
    "import pauses": ["import", "pauses", "{tmp}/pauses.csv"],
    "import extensions": ["import", "extensions", "{tmp}/extensions.csv"],
    "import inbox": ["import", "inbox", "{tmp}"],
    "import ssda903": ["import", "ssda903", str(EXAMPLES_DIR / "ssda903"), "--team", "north",
                       "--social-worker", "sw-north-1"],
    "record": ["record", "C-1001", "permanence_recommendation", "--on", "2025-06-02"],
    "pause": ["pause", "C-1001", "--from", "2025-03-01", "--to", "2025-03-10", "--reason",
              "hearing adjourned"],
    "extend": ["extend", "C-1001", "health_assessment", "--to", "2025-03-31", "--approved-by",
               "tl-north", "--on", "2025-02-01", "--reason", "paediatrician off sick"],
    "explain": ["explain", "C-1001", "permanence_recommendation", "--reason", "GP away", "--next",
                "book the LAC nurse", "--by", "2025-03-14", "--on", "2025-03-01"],
    "annotate": ["annotate", "--on", "2025-03-01", "Legal clinic every week"],
    "status": ["status", "--as-of", "2026-11-16"],
    "timeline": ["timeline", "C-1001", "--as-of", "2026-11-16"],
    "history": ["history", "C-1001"],
    "check": ["check", "--as-of", "2026-11-16", "--no-notify"],
    "serve": ["serve"],
    "report": ["report", "--out", "{tmp}/report", "--as-of", "2026-11-16"],
    "measures": ["measures", "--as-of", "2026-11-16"],
    "scorecard": ["scorecard", "--period-end", "2026-03-31"],
    "user add": ["user", "add", "tl-north", "--sso-only"],
    "user remove": ["user", "remove", "tl-north"],
    "user list": ["user", "list"],
}
"""Every command that opens the store, with arguments it would otherwise accept."""

PREFECT_COMMANDS = ["check", "serve", "demo"]
"""Every command that talks to a Prefect server."""


def test_the_walk_covers_every_command() -> None:
    """`rules validate`, `examples` and `demo` take no store, and `web` serves until stopped
    (its refusals are walked in test_web.py); every other command is walked."""
    import typer.main

    group = typer.main.get_command(app)
    names = {f"{name} {sub}" if hasattr(command, "commands") else name
             for name, command in group.commands.items()  # type: ignore[attr-defined]
             for sub in getattr(command, "commands", [""])}
    assert names - set(STORE_COMMANDS) == {"rules validate", "examples", "demo", "web"}


WALK_FILES = {
    "pauses.csv": "case_ref,paused_from,paused_to,reason\n"
                  "C-1001,2025-03-01,2025-03-10,hearing adjourned\n",
    "extensions.csv": "case_ref,milestone,extended_to,approved_by,approved_on,reason\n"
                      "C-1001,health_assessment,2025-03-31,tl-north,2025-02-01,paediatrician "
                      "off sick\n",
}
"""Files the walk imports that the sample does not ship, written into each test's folder."""


def invoke(tmp_path: Path, *args: str) -> Result:
    for name, text in WALK_FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return runner.invoke(app, [arg.replace("{tmp}", str(tmp_path)) for arg in args])


def assert_plain_refusal(result: Result, *, lines: int | None = 1) -> list[str]:
    """Exit 1 with `lines` lines on stderr (any number if None), nothing raised, no password."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and PASSWORD not in result.output
    stderr = result.stderr.strip().splitlines()
    assert stderr and (lines is None or len(stderr) == lines), result.stderr
    return stderr


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dead_prefect(monkeypatch: pytest.MonkeyPatch) -> str:
    api = f"http://127.0.0.1:{closed_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", api)
    return api


class TestStoreUrls:
    """A URL of an engine we do not support, a PostgreSQL that is not there, a SQLite file in a
    folder that is not there, and a store never initialised."""

    @pytest.mark.parametrize("command", STORE_COMMANDS)
    @pytest.mark.parametrize(("url", "says"), [
        (f"mysql://root:{PASSWORD}@db.example.org/permanence",
         "only sqlite:/// and postgresql:// URLs are supported"),
        (f"postgres//root:{PASSWORD}@db.example.org/permanence", "is not a database URL"),
        (f"postgresql://root:{PASSWORD}@127.0.0.1:{{port}}/permanence",
         "cannot open the store postgresql+psycopg://root:***@127.0.0.1:"),
        ("sqlite:///{tmp}/no-such-folder/permanence.db", "/no-such-folder does not exist"),
    ])
    def test_refused_in_one_sentence(self, tmp_path: Path, dead_prefect: str, command: str,
                                     url: str, says: str) -> None:
        url = url.replace("{port}", str(closed_port()))
        [line] = assert_plain_refusal(invoke(tmp_path, "--db", url, *STORE_COMMANDS[command]))
        assert says in line

    @pytest.mark.parametrize("command", sorted(set(STORE_COMMANDS) - {"init"}))
    def test_a_store_never_initialised(self, tmp_path: Path, dead_prefect: str,
                                       command: str) -> None:
        url = f"sqlite:///{tmp_path / 'permanence.db'}"
        [line] = assert_plain_refusal(invoke(tmp_path, "--db", url, *STORE_COMMANDS[command]))
        assert line.endswith("run `permanence init` first")


def hostile_rule_files(folder: Path) -> dict[str, Path]:
    """Rule files an operator can be handed or left with, each unusable."""
    files = {
        "missing": folder / "missing.yaml",
        "broken link": folder / "link.yaml",
        "empty folder": folder / "empty",
        "nested deeply": folder / "deep.yaml",
        "control character": folder / "control.yaml",
        "python object": folder / "object.yaml",
        "not a mapping": folder / "list.yaml",
        "not UTF-8": folder / "latin1.yaml",
        "alias bomb": folder / "bomb.yaml",
    }
    files["broken link"].symlink_to(folder / "gone.yaml")
    files["empty folder"].mkdir()
    files["nested deeply"].write_text("timeline: " + "[" * 5000 + "]" * 5000 + "\n")
    files["control character"].write_text("timeline: t\ntitle: a\x1bb\n")
    files["python object"].write_text("timeline: !!python/object/apply:os.system [echo]\n")
    files["not a mapping"].write_text("- timeline: t\n")
    files["not UTF-8"].write_bytes("timeline: t\ntitle: Pàipear\n".encode("latin-1"))
    bomb = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    bomb += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    files["alias bomb"].write_text("\n".join(bomb) + "\ntimeline: *a8\n")
    return files


HOSTILE = ["missing", "broken link", "empty folder", "nested deeply", "control character",
           "python object", "not a mapping", "not UTF-8", "alias bomb"]


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample loaded once, into a SQLite file that no test writes to."""
    path = tmp_path_factory.mktemp("sample") / "permanence.db"
    for args in (["init"], *(["import", kind, str(EXAMPLES_DIR / f"{kind}.csv")]
                            for kind in ("leads", "cases", "events"))):
        assert runner.invoke(app, ["--db", f"sqlite:///{path}", *args]).exit_code == 0
    return path


@pytest.fixture
def sample_store(tmp_path_factory: pytest.TempPathFactory, sample_file: Path) -> str:
    """The sample loaded, so only the bad configuration stands between a command and success:
    a copy for each test, so what one walked command writes (the SSDA903 import's 88 cases,
    an account) never reaches the next, and every command runs on the same 41 cases (a
    report of the store the walk had grown took over ten times as long)."""
    path = tmp_path_factory.mktemp("store") / "permanence.db"
    shutil.copyfile(sample_file, path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("command", sorted(set(STORE_COMMANDS) - {"check", "serve"}))
def test_the_walk_is_of_commands_that_work(tmp_path: Path, sample_store: str,
                                           command: str) -> None:
    """With a good configuration each walked command succeeds, so a refusal below is the bad
    configuration's doing (check and serve, which need Prefect, are run in their own tests)."""
    result = invoke(tmp_path, "--db", sample_store, *STORE_COMMANDS[command])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "1900-01-01", "2026-02-28",
                                 "2026-02-30", "26-02-28", "9899-12-31", "9900-01-01",
                                 "9999-12-31"])
@pytest.mark.parametrize("option", [["record", "C-1001", "first_review", "--on"],
                                    ["purge", "--closed-before"]])
def test_dates_across_the_calendar(tmp_path: Path, sample_store: str, option: list[str],
                                   day: str) -> None:
    """The date options beside --as-of (walked in test_cli.py) answer in one line too."""
    result = invoke(tmp_path, "--db", sample_store, *option, day)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code in (0, 1) and len(result.output.strip().splitlines()) == 1, (
        result.output)


class TestRuleFiles:
    """A named rule file that cannot be used stops every command before it touches the store,
    naming the file: a council's override that vanished would otherwise move every child's
    due dates back to the built-in's. Given by --rules or by PERMANENCE_RULES alike."""

    @pytest.mark.parametrize("kind", HOSTILE)
    @pytest.mark.parametrize("command", STORE_COMMANDS)
    def test_refused_naming_the_file(self, tmp_path: Path, sample_store: str,
                                     dead_prefect: str, command: str, kind: str) -> None:
        path = hostile_rule_files(tmp_path)[kind]
        result = invoke(tmp_path, "--db", sample_store, "--rules", str(path),
                        *STORE_COMMANDS[command])
        for line in assert_plain_refusal(result, lines=None):
            assert line.startswith(str(path)), line

    @pytest.mark.parametrize("kind", HOSTILE)
    def test_rules_validate(self, tmp_path: Path, kind: str) -> None:
        path = hostile_rule_files(tmp_path)[kind]
        for line in assert_plain_refusal(invoke(tmp_path, "rules", "validate", str(path)),
                                         lines=None):
            assert line.startswith(str(path)), line

    def test_from_the_environment(self, tmp_path: Path, sample_store: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
        path = hostile_rule_files(tmp_path)["broken link"]
        monkeypatch.setenv("PERMANENCE_RULES", str(path))
        [line] = assert_plain_refusal(invoke(tmp_path, "--db", sample_store, "init"))
        assert line == (f"{path}: is a link to {tmp_path / 'gone.yaml'}, which does not exist; "
                        "its rules cannot be in force")


class NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads the command's stderr."""


class TestEnvironment:
    """A PERMANENCE_* variable holding nonsense: the commands that read it refuse in one
    sentence naming it, the others carry on; none ends in a traceback."""

    @pytest.mark.parametrize("command", [*STORE_COMMANDS, "demo"])
    @pytest.mark.parametrize(("variable", "value"), [("PERMANENCE_CHECK_WAIT", "soon"),
                                                     ("PERMANENCE_DELIVERY_TIMEOUT", "-1")])
    def test_bad_seconds(self, tmp_path: Path, sample_store: str, dead_prefect: str,
                         monkeypatch: pytest.MonkeyPatch, command: str, variable: str,
                         value: str) -> None:
        monkeypatch.setenv(variable, value)
        args = (["--dir", str(tmp_path / "demo")] if command == "demo"
                else ["--db", sample_store, *STORE_COMMANDS[command]])
        prefix = ["demo"] if command == "demo" else []
        result = invoke(tmp_path, *prefix, *args)
        # `import inbox` waits PERMANENCE_CHECK_WAIT for a running check, as a check does.
        if command in {"check", "serve", "demo"} or (
                command == "import inbox" and variable == "PERMANENCE_CHECK_WAIT"):
            [line] = assert_plain_refusal(result)
            assert line == f"{variable}={value!r}: expected a number of seconds, from 0 to 86399"
        else:
            assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def not_prefect() -> Iterator[str]:
    """A real HTTP server on this machine that is not a Prefect server: every path is 404."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


class TestPrefectServer:
    """PREFECT_API_URL naming a server that is down (behind a proxy or not), a web server that
    is not Prefect, or text that is no URL: one sentence within seconds, saying what to check."""

    @pytest.mark.parametrize("command", PREFECT_COMMANDS)
    @pytest.mark.parametrize("api", ["down", "down behind a proxy", "not prefect", "no url"])
    def test_one_sentence(self, tmp_path: Path, sample_store: str, not_prefect: str,
                          monkeypatch: pytest.MonkeyPatch, command: str, api: str) -> None:
        url = {"down": f"http://127.0.0.1:{closed_port()}/api",
               "down behind a proxy": f"http://127.0.0.1:{closed_port()}/api",
               "not prefect": not_prefect, "no url": "127.0.0.1:4200/api"}[api]
        monkeypatch.setenv("PREFECT_API_URL", url)
        if api == "down behind a proxy":
            monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
        else:
            for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
                monkeypatch.delenv(name, raising=False)
        args = ["--dir", str(tmp_path / "demo")] if command == "demo" else []
        prefix = [] if command == "demo" else ["--db", sample_store]
        [line] = assert_plain_refusal(invoke(tmp_path, *prefix, *STORE_COMMANDS.get(
            command, [command]), *args))
        if api == "not prefect":
            assert line.startswith(f"PREFECT_API_URL {url} does not lead to a Prefect server: "
                                   f"{url}/health answered HTTP 404. Correct it"), line
        else:
            assert line.startswith(f"the Prefect server at {url} (PREFECT_API_URL) does not "
                                   "answer: "), line
            assert "`prefect server start`" in line
        if api == "down behind a proxy":
            assert line.endswith("HTTPS_PROXY is set: if the server is on this network, add "
                                 "its host to NO_PROXY")
