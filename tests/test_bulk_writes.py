"""The store's bulk writes read back exactly as written, on SQLite and on PostgreSQL.

On PostgreSQL `insert_rows`, `upsert` and the status changes whose ids a check needs go
through COPY (text format, with its own escaping), through a temporary table for upserts, and
with ids taken from the table's sequence; on SQLite through executemany. Either way every
column type comes back as it went in: text with tabs, newlines, backslashes, quotes, COPY's
own markers (`\\N`, `\\.`) and non-ASCII letters; empty text apart from NULL; dates;
timestamps with their time zone; booleans; integers; enum members as their values; a column
left out takes its default.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from permanence import store
from permanence.models import (
    Case,
    CasePause,
    EventKind,
    MilestoneCompletion,
    MilestoneEvent,
    Notice,
    StatusChange,
)

DAY = date(2026, 11, 23)
AT = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=UTC)
AWKWARD = [
    "tab\there",
    "two\nlines",
    "carriage\rreturn",
    "back\\slash",
    "\\N",  # COPY's NULL, as text
    "\\.",  # COPY's old end-of-data marker
    "it's \"quoted\"",
    "Zoë, Łukasz, 子供, ✓",
    "",  # empty, not NULL
    " spaces kept ",
]


def _at(value: datetime) -> datetime:
    """A stored timestamp as a UTC instant: PostgreSQL gives it back with its zone, SQLite
    (which keeps no zone) as the UTC wall time written."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _with_cases(engine: Engine) -> Engine:
    with Session(engine) as session, session.begin():
        store.import_cases(session=session, today=DAY, source="test", cases=[
            {"case_ref": ref, "timeline": "drift-test", "team": "north",
             "social_worker": "sw-1", "looked_after_on": date(2026, 11, 16)}
            for ref in ("C-1", "C-2")])
    return engine


@pytest.fixture
def cases(engine: Engine) -> Engine:
    """The test's new store (SQLite or PostgreSQL) with cases C-1 and C-2."""
    return _with_cases(engine)


@pytest.fixture
def postgresql_cases(postgresql_url: str) -> Iterator[Engine]:
    """A new store on PostgreSQL only, with cases C-1 and C-2."""
    engine = store.make_engine(postgresql_url)
    store.init_schema(engine)
    try:
        yield _with_cases(engine)
    finally:
        engine.dispose()


def _change(milestone: str, **more: Any) -> dict[str, Any]:
    return {"case_ref": "C-1", "milestone": milestone, "as_of": DAY, "new_status": "red",
            "timeline": "drift-test", "rules_version": "1", "recorded_at": AT, **more}


class TestInsertRows:
    """`insert_rows` writes every row as given, and a column left out takes its default."""

    def test_every_column_type_and_awkward_text(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            store.insert_rows(session, MilestoneEvent, [
                {"case_ref": "C-1", "milestone": f"m{n}", "occurred_on": date(2026, 1, n + 1),
                 "note": text, "recorded_at": AT + timedelta(seconds=n), "source": "test",
                 "kind": EventKind.NOT_APPLICABLE if n % 2 else EventKind.PLANNED,
                 "noted_on": date(2025, 12, n + 1) if n % 2 else None}
                for n, text in enumerate(AWKWARD)])
        with Session(cases) as session:
            rows = session.execute(select(
                col(MilestoneEvent.milestone), col(MilestoneEvent.occurred_on),
                col(MilestoneEvent.note), col(MilestoneEvent.recorded_at),
                col(MilestoneEvent.kind), col(MilestoneEvent.noted_on))
                .order_by(col(MilestoneEvent.id))).all()
        assert [row.note for row in rows] == AWKWARD
        assert [row.milestone for row in rows] == [f"m{n}" for n in range(10)]
        assert [row.occurred_on for row in rows] == [date(2026, 1, n) for n in range(1, 11)]
        assert [_at(row.recorded_at) for row in rows] == [
            datetime(2026, 11, 23, 9, 30, 15 + n, 123456, tzinfo=UTC) for n in range(10)]
        assert [row.kind for row in rows] == ["planned", "not_applicable"] * 5
        assert [row.noted_on for row in rows] == [
            None, date(2025, 12, 2), None, date(2025, 12, 4), None, date(2025, 12, 6), None,
            date(2025, 12, 8), None, date(2025, 12, 10)]

    def test_nulls_booleans_integers_and_defaults(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            store.insert_rows(session, StatusChange, [
                _change("full", old_status="amber", old_tiers="1", new_tiers="1,2",
                        due=date(2026, 11, 26), days_overdue=0, owner="sw-1",
                        planned_for=date(2026, 12, 1), at_risk=True, flow_run_id="run-1"),
                _change("nulls", old_status=None, old_tiers="", new_tiers="", due=None,
                        days_overdue=None, owner=None, planned_for=None, at_risk=False,
                        flow_run_id=None)])
            store.insert_rows(session, StatusChange, [_change("defaults", days_overdue=-3)])
        with Session(cases) as session:
            rows = session.execute(select(
                col(StatusChange.milestone), col(StatusChange.old_status),
                col(StatusChange.old_tiers), col(StatusChange.new_tiers),
                col(StatusChange.due), col(StatusChange.days_overdue),
                col(StatusChange.owner), col(StatusChange.planned_for),
                col(StatusChange.at_risk), col(StatusChange.flow_run_id))
                .order_by(col(StatusChange.id))).all()
        assert [tuple(row) for row in rows] == [
            ("full", "amber", "1", "1,2", date(2026, 11, 26), 0, "sw-1", date(2026, 12, 1),
             True, "run-1"),
            ("nulls", None, "", "", None, None, None, None, False, None),
            ("defaults", None, "", "", None, -3, None, None, False, None)]

    def test_a_timestamp_in_another_zone_keeps_its_instant(
            self, postgresql_cases: Engine) -> None:
        """PostgreSQL only: SQLite keeps no zone, and the store writes UTC (utc_now)."""
        cases = postgresql_cases
        paris = timezone(timedelta(hours=1))
        with Session(cases) as session, session.begin():
            store.insert_rows(session, MilestoneEvent, [{
                "case_ref": "C-1", "milestone": "m", "occurred_on": DAY, "note": None,
                "recorded_at": datetime(2026, 11, 23, 10, 0, tzinfo=paris), "source": "t"}])
        with Session(cases) as session:
            stored = session.execute(select(col(MilestoneEvent.recorded_at))).scalar_one()
        assert stored == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        assert stored.utcoffset() == timedelta(0)

    def test_a_key_already_taken_is_refused_as_sqlalchemy_refuses_it(
            self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            store.insert_rows(session, StatusChange, [_change("a", id=7)])
        with pytest.raises(IntegrityError), Session(cases) as session, session.begin():
            store.insert_rows(session, StatusChange, [_change("b", id=8), _change("c", id=7)])
        with Session(cases) as session:
            assert session.execute(select(col(StatusChange.id))).scalars().all() == [7]

    def test_rows_are_part_of_the_session_transaction(self, cases: Engine) -> None:
        with pytest.raises(RuntimeError), Session(cases) as session, session.begin():
            store.insert_rows(session, StatusChange, [_change("gone")])
            assert session.execute(select(col(StatusChange.milestone))).scalars().all() == [
                "gone"]
            raise RuntimeError("rolled back")
        with Session(cases) as session:
            assert session.execute(select(col(StatusChange.id))).scalars().all() == []

    def test_no_rows_writes_nothing(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            store.insert_rows(session, StatusChange, [])
            store.upsert(session, CasePause, [], ["case_ref", "paused_from"])
            assert store.record_status_changes(session=session, quiet=[], telling=[]) == []
        with Session(cases) as session:
            assert session.execute(select(col(StatusChange.id))).scalars().all() == []


class TestUpsert:
    """`upsert` inserts new keys and replaces every given column of existing ones; of rows
    with the same key in one call, the last stands."""

    def test_new_keys_inserted_existing_keys_updated(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            store.upsert(session, CasePause, [
                {"case_ref": "C-1", "paused_from": date(2026, 11, 1), "paused_to": None,
                 "reason": "open\tpause", "recorded_at": AT, "source": "first"},
                {"case_ref": "C-2", "paused_from": date(2026, 11, 1),
                 "paused_to": date(2026, 11, 5), "reason": "kept", "recorded_at": AT,
                 "source": "first"}], ["case_ref", "paused_from"])
        later = AT + timedelta(days=1)
        with Session(cases) as session, session.begin():
            store.upsert(session, CasePause, [
                {"case_ref": "C-1", "paused_from": date(2026, 11, 1),
                 "paused_to": date(2026, 11, 9), "reason": "closed\\now", "recorded_at": later,
                 "source": "second"},
                {"case_ref": "C-1", "paused_from": date(2026, 11, 20), "paused_to": None,
                 "reason": "new", "recorded_at": later, "source": "second"}],
                ["case_ref", "paused_from"])
            # A second upsert of the same table in the same transaction.
            store.upsert(session, CasePause, [
                {"case_ref": "C-2", "paused_from": date(2026, 11, 1),
                 "paused_to": date(2026, 11, 6), "reason": "first of two", "recorded_at": later,
                 "source": "third"},
                {"case_ref": "C-2", "paused_from": date(2026, 11, 1),
                 "paused_to": date(2026, 11, 7), "reason": "last of two", "recorded_at": later,
                 "source": "third"}], ["case_ref", "paused_from"])
        with Session(cases) as session:
            rows = session.execute(select(
                col(CasePause.case_ref), col(CasePause.paused_from), col(CasePause.paused_to),
                col(CasePause.reason), col(CasePause.recorded_at), col(CasePause.source))
                .order_by(col(CasePause.case_ref), col(CasePause.paused_from))).all()
        assert [(*row[:4], _at(row[4]), row[5]) for row in rows] == [
            ("C-1", date(2026, 11, 1), date(2026, 11, 9), "closed\\now", later, "second"),
            ("C-1", date(2026, 11, 20), None, "new", later, "second"),
            ("C-2", date(2026, 11, 1), date(2026, 11, 7), "last of two", later, "third")]

    def test_a_column_set_to_null_and_an_enum_kept_as_its_value(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            store.upsert(session, Case, [
                {"case_ref": "C-1", "timeline": "drift-test", "team": "south",
                 "social_worker": "sw-2", "looked_after_on": date(2026, 11, 16),
                 "child_name": "Zoë \"Z\" O'Neil\n", "date_of_birth": date(2019, 2, 28),
                 "closed_on": None, "sibling_group": None, "updated_at": AT}], ["case_ref"])
            store.upsert(session, MilestoneCompletion, [
                {"case_ref": "C-1", "milestone": "review", "occurred_on": DAY, "note": None,
                 "recorded_at": AT, "kind": EventKind.NOT_APPLICABLE}],
                ["case_ref", "milestone"])
            store.upsert(session, MilestoneCompletion, [
                {"case_ref": "C-2", "milestone": "review", "occurred_on": DAY, "note": "\\N",
                 "recorded_at": AT}], ["case_ref", "milestone"])
        with Session(cases) as session, session.begin():
            store.upsert(session, Case, [
                {"case_ref": "C-1", "timeline": "drift-test", "team": "south",
                 "social_worker": "sw-2", "looked_after_on": date(2026, 11, 16),
                 "child_name": None, "date_of_birth": None, "closed_on": date(2026, 11, 30),
                 "sibling_group": "S-1", "updated_at": AT}], ["case_ref"])
        with Session(cases) as session:
            case = session.execute(select(
                col(Case.team), col(Case.child_name), col(Case.date_of_birth),
                col(Case.closed_on), col(Case.sibling_group))
                .where(col(Case.case_ref) == "C-1")).one()
            completions = session.execute(select(
                col(MilestoneCompletion.case_ref), col(MilestoneCompletion.kind),
                col(MilestoneCompletion.note))
                .order_by(col(MilestoneCompletion.case_ref))).all()
        assert tuple(case) == ("south", None, None, date(2026, 11, 30), "S-1")
        assert [tuple(row) for row in completions] == [
            ("C-1", "not_applicable", None), ("C-2", "done", "\\N")]


class TestStatusChangeIds:
    """`record_status_changes` returns the ids of the changes that tell someone, in their
    order, each the id of its own row; the quiet ones are written first, and later inserts
    take ids after them all."""

    def test_ids_in_order_and_matching_their_rows(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            ids = store.record_status_changes(
                session=session, quiet=[_change("q1"), _change("q2")],
                telling=[_change(f"t{n}", at_risk=n % 2 == 0, owner=AWKWARD[n])
                         for n in range(5)])
            store.add_notices(session=session, notices=[
                {"change_id": change_id, "lead_id": f"lead\t{n}", "reason": "overdue",
                 "tier": n if n else None} for n, change_id in enumerate(ids)])
        assert ids == [3, 4, 5, 6, 7]
        with Session(cases) as session:
            stored = dict(session.execute(select(
                col(StatusChange.milestone), col(StatusChange.id))).all())
            by_id = {row.id: row for row in session.execute(select(
                col(StatusChange.id), col(StatusChange.milestone),
                col(StatusChange.at_risk), col(StatusChange.owner)))}
            notices = session.execute(select(
                col(Notice.change_id), col(Notice.lead_id), col(Notice.tier))
                .order_by(col(Notice.id))).all()
        assert [(by_id[i].milestone, by_id[i].at_risk, by_id[i].owner) for i in ids] == [
            ("t0", True, "tab\there"), ("t1", False, "two\nlines"),
            ("t2", True, "carriage\rreturn"), ("t3", False, "back\\slash"),
            ("t4", True, "\\N")]
        assert (stored["q1"], stored["q2"]) == (1, 2)
        assert [tuple(row) for row in notices] == [
            (ids[0], "lead\t0", None), (ids[1], "lead\t1", 1), (ids[2], "lead\t2", 2),
            (ids[3], "lead\t3", 3), (ids[4], "lead\t4", 4)]

    def test_later_inserts_take_ids_after_the_returned_ones(self, cases: Engine) -> None:
        with Session(cases) as session, session.begin():
            first = store.record_status_changes(session=session, quiet=[],
                                                telling=[_change("a"), _change("b")])
        with Session(cases) as session, session.begin():
            second = store.record_status_changes(session=session, quiet=[_change("c")],
                                                 telling=[_change("d")])
        with Session(cases) as session:
            stored = dict(session.execute(select(
                col(StatusChange.milestone), col(StatusChange.id))).all())
        assert (first, second) == ([1, 2], [4])
        assert stored == {"a": 1, "b": 2, "c": 3, "d": 4}
