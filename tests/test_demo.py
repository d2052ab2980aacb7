"""`permanence demo` loads every sample file, as the imports would."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

from conftest import SAMPLE_TODAY, load_sample
from sqlmodel import Session, select

from permanence import store
from permanence.demo import (
    FIRST_DAY,
    LAST_DAY,
    ROUTE_CHANGE_DAY,
    ROUTE_CHANGE_EXTRACT,
    import_cases,
    import_samples,
)
from permanence.models import Lead, RouteChange
from permanence.timelines import Timeline
from permanence.webhook_receiver import JsonReceiver

MAPPINGS = ("completions", "not_applicable", "occurrences", "planned", "extensions")


def test_demo_imports_every_sample_file(tmp_path: Path, examples: Path,
                                        timelines: dict[str, Timeline]) -> None:
    """Leads (pointed at the demo's receiver), cases, events, pauses and extensions: the store
    holds what the snapshot tests read from the CSVs."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    import_samples(url, tmp_path, cast(JsonReceiver, SimpleNamespace(port=45678)), SAMPLE_TODAY)
    engine = store.make_engine(url)
    try:
        with Session(engine) as session:
            stored = store.load_case_facts(session=session, timelines=timelines)
            notify = set(session.execute(select(Lead.notify)).scalars())
    finally:
        engine.dispose()

    def plain(facts: list) -> list:
        return [f._replace(**{field: dict(getattr(f, field)) for field in MAPPINGS})
                for f in facts]

    assert plain(stored) == plain(sorted(load_sample(examples, timelines).facts))
    assert any(f.pauses for f in stored) and any(f.extensions for f in stored)
    assert all(url.startswith("json://127.0.0.1:45678/inbox/") for url in notify)
    assert LAST_DAY <= SAMPLE_TODAY  # the demo replays days in the sample's past


def test_the_later_extract_changes_one_route(tmp_path: Path,
                                             timelines: dict[str, Timeline]) -> None:
    """The cases file the demo imports on its route-change day moves C-1029 from the adoption
    route to a permanence order; its dates carry over and the old route is kept."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    import_samples(url, tmp_path, cast(JsonReceiver, SimpleNamespace(port=45678)), SAMPLE_TODAY)
    engine = store.make_engine(url)
    try:
        with Session(engine) as session:
            before = store.load_case_facts(session=session, timelines=timelines,
                                           case_refs=["C-1029"])[0]
        assert import_cases(engine, ROUTE_CHANGE_EXTRACT, ROUTE_CHANGE_DAY) == [
            ("C-1029", "scotland-adoption", "scotland-permanence-order")]
        with Session(engine) as session:
            after = store.load_case_facts(session=session, timelines=timelines,
                                          case_refs=["C-1029"])[0]
            routes = session.execute(select(RouteChange.case_ref, RouteChange.old_timeline,
                                            RouteChange.changed_on)).all()
    finally:
        engine.dispose()
    assert after.timeline == "scotland-permanence-order"
    assert dict(after.completions) == dict(before.completions)  # every step it had is shared
    assert routes == [("C-1029", "scotland-adoption", ROUTE_CHANGE_DAY)]
    assert FIRST_DAY < ROUTE_CHANGE_DAY < LAST_DAY
