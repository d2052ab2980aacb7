"""The daily check as one service: refuse what cannot be checked, make sure Prefect can run it,
run the flow in this process, and hand back its typed summary.

`permanence check`, the demo and the benchmarks call `run_check`; the CLI only parses options
and prints the summary. A scheduled run (serve, a worker) starts the flow itself and meets the
same refusals inside it, under the store's lock.
"""

from __future__ import annotations

import os
from datetime import date

from sqlmodel import Session

from permanence.clock import refuse_future_day
from permanence.config import CheckConfig, configured, web_base_url
from permanence.errors import PermanenceError
from permanence.store.check_run import refuse_earlier_day
from permanence.store.connection import make_engine, require_schema
from permanence.summary import CheckSummary
from permanence.timelines import load_timelines

PREFECT_PROBE_SECONDS = 10.0


def run_check(config: CheckConfig, day: date) -> CheckSummary:
    """Run the flow for `day` in this process and return its summary, failed deliveries
    included. Refusals (a future or earlier day, a Dask runner on a SQLite store, a
    PERMANENCE_WEB_URL that is not a web address, unusable rules or store, no Prefect server)
    come first, in one sentence each, before Prefect starts."""
    refuse_future_day(day)
    config.refuse_runner_without_its_store()
    web_base_url()
    load_timelines(config.rules)
    engine = make_engine(config.db)
    try:
        require_schema(engine)
        with Session(engine) as session:
            refuse_earlier_day(session=session, day=day)
    finally:
        engine.dispose()
    prepare_prefect()
    from permanence.flows.daily_drift_check import daily_drift_check

    with configured(config):
        state = daily_drift_check(as_of=day, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):  # a refusal (PermanenceError) or a fault
        raise result
    if not isinstance(result, CheckSummary):
        raise TypeError(f"the daily check ended {state.type} without its summary")
    return result


def prepare_prefect() -> None:
    """Without PREFECT_API_URL, Prefect starts a temporary server; on a fresh machine that takes
    10-30 s, longer than its default wait, so give it time, and keep it from calling home.
    With it, make sure the server answers first: Prefect's own client would retry for minutes
    (behind a proxy that does not know the server) and then end in a traceback."""
    api = os.environ.get("PREFECT_API_URL", "").strip()
    if not api:
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    else:
        require_prefect_server(api)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def require_prefect_server(api: str) -> None:
    """One plain sentence, within PREFECT_PROBE_SECONDS, when the server cannot be reached."""
    import httpx

    proxied = [name for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy",
                                 "http_proxy", "all_proxy") if os.environ.get(name)]
    hint = (f"; {proxied[0]} is set: if the server is on this network, add its host to "
            "NO_PROXY" if proxied else "")
    try:
        answer = httpx.get(f"{api.rstrip('/')}/health", timeout=PREFECT_PROBE_SECONDS)
        answer.raise_for_status()
    except httpx.HTTPStatusError as error:
        raise PermanenceError(
            f"PREFECT_API_URL {api} does not lead to a Prefect server: {error.request.url} "
            f"answered HTTP {error.response.status_code}. Correct it (a Prefect server's "
            "address ending in /api, e.g. http://127.0.0.1:4200/api), or unset it to run with "
            f"a temporary server{hint}") from None
    except (httpx.HTTPError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise PermanenceError(
            f"the Prefect server at {api} (PREFECT_API_URL) does not answer: {reason}. Start "
            "it (`prefect server start`), correct PREFECT_API_URL, or unset it to run with a "
            f"temporary server{hint}") from None
