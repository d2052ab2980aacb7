"""The store at national size: a statement naming many rows stays within each database's
limits (PostgreSQL takes at most 65,535 parameters a statement). A first check of 100,000
cases tells of some 155,000 changes, and queueing their digests named every one at once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from permanence import store
from permanence.models import Notice, StatusChange, utc_now

MANY = 70_000  # more than PostgreSQL's limit


def test_leads_told_and_a_digest_of_more_notices_than_one_statement_takes(
        postgresql_url: str) -> None:
    engine = store.make_engine(postgresql_url)
    store.init_schema(engine)
    try:
        with Session(engine) as session, session.begin():
            store.import_leads(session=session, leads=[{
                "lead_id": "sm-all", "name": "Morgan Lee", "role": "service_manager",
                "team": "*", "notify": "json://127.0.0.1:9/sm-all"}])
            store.import_cases(session=session, today=date(2026, 11, 23), source="test",
                               cases=[{"case_ref": "C-1", "timeline": "drift-test",
                                       "team": "north", "social_worker": "sm-all",
                                       "looked_after_on": date(2026, 11, 16)}])
            store.insert_rows(session, StatusChange, [{
                "id": n, "case_ref": "C-1", "milestone": f"m{n}", "as_of": date(2026, 11, 23),
                "new_status": "red", "timeline": "drift-test", "rules_version": "1",
                "recorded_at": utc_now()}
                for n in range(1, MANY + 1)])
            store.add_notices(session=session, notices=[
                {"id": n, "change_id": n, "lead_id": "sm-all", "reason": "overdue"}
                for n in range(1, MANY + 1)])
        with Session(engine) as session, session.begin():
            told = store.leads_told(session=session, folded=())
            assert (len(told), told[1], told[MANY]) == (MANY, ["sm-all"], ["sm-all"])
            outbox_id = store.queue_message(
                session=session, lead_id="sm-all", as_of=date(2026, 11, 23), title="t",
                body="b", flow_run_id=None, notice_ids=list(range(1, MANY + 1)))
        with Session(engine) as session:
            assert session.execute(select(func.count()).where(
                Notice.outbox_id == outbox_id)).scalar_one() == MANY
    finally:
        engine.dispose()
