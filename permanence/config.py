"""Where the daily check finds its store, rules and templates.

The flow's only parameter is the as-of date, so that run history reads as a list of days. The
rest comes from the environment of the process that runs it (a deployment's worker, `serve`),
or, when the CLI runs the flow in-process, from its own options through `configured()`.

| variable | meaning | default |
| --- | --- | --- |
| PERMANENCE_DB | store URL | sqlite:///permanence.db |
| PERMANENCE_RULES | extra rule files or folders, separated by the OS path separator | none |
| PERMANENCE_NOTIFY | `0`/`false`/`no` to evaluate and store without telling anyone | on |
| PERMANENCE_TEMPLATES | folder of message templates overriding the built-in ones | none |
| PERMANENCE_REPORT_DIR | folder where each run writes its HTML report, one subfolder per day; `off` for none | permanence-reports |
| PERMANENCE_CHECK_WAIT | seconds a check waits for another check of the same store to finish before it gives up | 900 |
| PERMANENCE_DELIVERY_TIMEOUT | seconds one channel URL may take to accept a message before it counts as failed (0: only the channel's own timeouts) | 30 |
| PERMANENCE_TASK_RUNNER | `default`: the chunks run one at a time in the flow's process (Prefect's ThreadPoolTaskRunner, one thread); `dask`: on Dask workers (prefect-dask's DaskTaskRunner), the store on PostgreSQL | default |
| PERMANENCE_DASK_ADDRESS | with `dask`: the address of a running Dask scheduler (`tcp://HOST:8786`); unset: a local cluster started for the run | none |
| PERMANENCE_DASK_WORKERS | with `dask` and no address: worker processes of the local cluster | the machine's CPUs |
| PERMANENCE_CHUNK_SIZE | cases per chunk (one task each), 1 to 1000000 | 20000 |
| PERMANENCE_INBOX | a folder or fsspec URL (`s3://bucket/extracts`, `sftp://host/path`) whose new extracts each check imports first (permanence.inbox) | none: no inbox |
| PERMANENCE_INBOX_MAP | a mapping file (YAML, a local path) the inbox reads the source system's own exports through (permanence.mappings) | none: the engine's CSV files |
| PERMANENCE_INBOX_SSDA903_TEAM, PERMANENCE_INBOX_SSDA903_SOCIAL_WORKER | the team and social worker (a lead_id) of the children of an SSDA903 return in the inbox that the allocations do not name, as `import ssda903 --team` / `--social-worker` | none: a return needs both, or allocations |
| PERMANENCE_INBOX_SSDA903_ALLOCATIONS | an allocations file (CSV of CHILD, team, social_worker; a local path) read for each SSDA903 return the inbox imports, as `--allocations` | none |
| PERMANENCE_INBOX_SSDA903_TIMELINES | the timelines of a return's periods with and without adoption evidence, ADOPTION,OTHER, as `--timelines` | england-adoption-return,england-looked-after |
| PERMANENCE_INBOX_SSDA903_STRICT | `1`/`true`/`yes`/`on`: a return with any bad row is refused whole (to quarantine/), as `--strict` | off: its children with a bad row are left out |
| PERMANENCE_INBOX_STALE_DAYS | days without a new extract in the inbox before the check says the data is stale, 1 to 3650 | 2 |
| PERMANENCE_WEB_URL | the base URL people reach the web page at (`permanence web`), e.g. `https://permanence.example.org`; links to a day's board are made from it | none |
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from permanence.errors import BadInput
from permanence.store.connection import database_url

DELIVERY_TIMEOUT = 30.0  # seconds one channel URL may take to accept a message
CHUNK_SIZE = 20_000  # cases per chunk: one task, one transaction
TASK_RUNNERS = ("default", "dask")
INBOX_STALE_DAYS = 2  # days without a new extract before the data is stale


@dataclass(frozen=True)
class InboxReturn:
    """How the inbox imports an SSDA903 return dropped in it: the options `permanence import
    ssda903` takes on its command line, from PERMANENCE_INBOX_SSDA903_* (docs/inbox.md)."""

    allocations: str | None = None  # an allocations file (a local path); None: none
    team: str | None = None  # the team of a child the allocations do not name
    social_worker: str | None = None  # the social worker (a lead_id) of such a child
    timelines: str | None = None  # "ADOPTION,OTHER"; None: the default pair
    strict: bool = False  # any bad row refuses the whole return


@dataclass(frozen=True)
class CheckConfig:
    db: str
    rules: tuple[Path, ...] = ()
    notify: bool = True
    templates: Path | None = None
    report_dir: Path | None = None  # None: the run writes no report
    lock_wait: float = 900.0  # seconds to wait for another check of the same store
    delivery_timeout: float = DELIVERY_TIMEOUT  # seconds one channel URL may take
    task_runner: str = "default"  # "default" (one process) or "dask" (TASK_RUNNERS)
    dask_address: str | None = None  # a running Dask scheduler; None: a local cluster
    dask_workers: int | None = None  # the local cluster's worker processes; None: one per CPU
    chunk_size: int = CHUNK_SIZE  # cases per chunk
    inbox: str | None = None  # a folder or fsspec URL of extracts imported first; None: none
    inbox_stale_days: int = INBOX_STALE_DAYS  # days without an extract before data is stale
    inbox_map: str | None = None  # a mapping file the inbox's files are read through; None: none
    inbox_ssda903: InboxReturn = InboxReturn()  # how the inbox imports an SSDA903 return

    @classmethod
    def from_environment(cls) -> CheckConfig:
        templates = os.environ.get("PERMANENCE_TEMPLATES")
        report_dir = os.environ.get("PERMANENCE_REPORT_DIR") or "permanence-reports"
        return cls(
            db=database_url(None),
            rules=rules_from_environment(),
            notify=os.environ.get("PERMANENCE_NOTIFY", "1").strip().lower()
            not in {"0", "false", "no", "off"},
            templates=Path(templates) if templates else None,
            report_dir=None if report_dir.strip().lower() == "off" else Path(report_dir),
            lock_wait=check_wait(),
            delivery_timeout=_seconds("PERMANENCE_DELIVERY_TIMEOUT", DELIVERY_TIMEOUT),
            task_runner=_task_runner(),
            dask_address=os.environ.get("PERMANENCE_DASK_ADDRESS", "").strip() or None,
            dask_workers=_count("PERMANENCE_DASK_WORKERS", None, 1, 1024),
            chunk_size=_count("PERMANENCE_CHUNK_SIZE", CHUNK_SIZE, 1, 1_000_000) or CHUNK_SIZE,
            inbox=inbox_url(),
            inbox_stale_days=inbox_stale_days(),
            inbox_map=inbox_map(),
            inbox_ssda903=inbox_ssda903(),
        )

    def refuse_runner_without_its_store(self) -> None:
        """Dask workers write chunks at the same time, from other processes or machines: only a
        PostgreSQL store takes that, so a SQLite one is refused before anything runs."""
        if self.task_runner == "dask" and self.db.strip().lower().startswith("sqlite"):
            raise BadInput("PERMANENCE_TASK_RUNNER=dask needs the store on PostgreSQL (a SQLite "
                           "file takes one writer at a time, on one machine): set PERMANENCE_DB "
                           "to a postgresql:// URL, or PERMANENCE_TASK_RUNNER=default.")


def rules_from_environment() -> tuple[Path, ...]:
    """PERMANENCE_RULES: rule files or folders, separated like PATH."""
    rules = os.environ.get("PERMANENCE_RULES", "")
    return tuple(Path(part) for part in rules.split(os.pathsep) if part)


def check_wait() -> float:
    """PERMANENCE_CHECK_WAIT: seconds to wait for another check of the same store (the check,
    and `import inbox`, which takes the same lock)."""
    return _seconds("PERMANENCE_CHECK_WAIT", 900.0)


def inbox_url() -> str | None:
    """PERMANENCE_INBOX: the folder or fsspec URL of the inbox, or None."""
    return os.environ.get("PERMANENCE_INBOX", "").strip() or None


def inbox_map() -> str | None:
    """PERMANENCE_INBOX_MAP: the mapping file the inbox's files are read through, or None."""
    return os.environ.get("PERMANENCE_INBOX_MAP", "").strip() or None


def inbox_ssda903() -> InboxReturn:
    """PERMANENCE_INBOX_SSDA903_*: how the inbox imports an SSDA903 return."""
    def value(name: str) -> str | None:
        return os.environ.get(f"PERMANENCE_INBOX_SSDA903_{name}", "").strip() or None

    return InboxReturn(allocations=value("ALLOCATIONS"), team=value("TEAM"),
                       social_worker=value("SOCIAL_WORKER"), timelines=value("TIMELINES"),
                       strict=(value("STRICT") or "").lower() in {"1", "true", "yes", "on"})


def inbox_stale_days() -> int:
    """PERMANENCE_INBOX_STALE_DAYS: days without a new extract before the data is stale."""
    return _count("PERMANENCE_INBOX_STALE_DAYS", INBOX_STALE_DAYS, 1, 3650) or INBOX_STALE_DAYS


def web_base_url() -> str | None:
    """PERMANENCE_WEB_URL without its trailing slash, so that links are made as
    `f"{web_base_url()}/days/{day}/"`; None when unset, since a link nobody can open (a local
    file, a guessed host) is worse than none. Anything but an http(s) address is refused."""
    value = os.environ.get("PERMANENCE_WEB_URL", "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or parts.query \
            or parts.fragment:
        raise BadInput(f"PERMANENCE_WEB_URL={value!r}: expected the web page's address, "
                       "http:// or https://, e.g. https://permanence.example.org")
    return value.rstrip("/")


def _seconds(variable: str, default: float) -> float:
    """A number of seconds from the environment; a value that is not one is refused plainly."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise BadInput(f"{variable}={value!r}: expected a number of seconds, from 0 to 86399")
    return seconds


def _task_runner() -> str:
    """PERMANENCE_TASK_RUNNER: `default` or `dask`, any case; anything else is refused."""
    value = os.environ.get("PERMANENCE_TASK_RUNNER", "").strip()
    if value.lower() in {"", *TASK_RUNNERS}:
        return value.lower() or "default"
    raise BadInput(f"PERMANENCE_TASK_RUNNER={value!r}: expected default or dask")


def _count(variable: str, default: int | None, lowest: int, highest: int) -> int | None:
    """A whole number from the environment, within bounds; anything else is refused plainly."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        count = int(value)
    except ValueError:
        count = lowest - 1
    if not lowest <= count <= highest:
        raise BadInput(f"{variable}={value!r}: expected a whole number from {lowest} to "
                       f"{highest}")
    return count


_current: ContextVar[CheckConfig | None] = ContextVar("permanence_check_config", default=None)


def current_config() -> CheckConfig:
    return _current.get() or CheckConfig.from_environment()


@contextmanager
def configured(config: CheckConfig) -> Iterator[CheckConfig]:
    """Run the flow in this process with these settings instead of the environment's."""
    token = _current.set(config)
    try:
        yield config
    finally:
        _current.reset(token)
