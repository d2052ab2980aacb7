"""The daily check's own reads and writes, in the order a run makes them: its run record,
stored states and status changes, notices, and the outbox it sends from."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from permanence.errors import CheckRefused
from permanence.models import (
    WAITING_TO_SEND,
    Case,
    CaseState,
    CheckRun,
    Lead,
    Notice,
    Outbox,
    OutboxState,
    StatusChange,
    utc_now,
)
from permanence.store.writes import (
    batches,
    insert_returning_ids,
    insert_rows,
    rows_changed,
    upsert,
)


def latest_checked_day(*, session: Session) -> date | None:
    """The latest as-of date a drift check finished for."""
    return session.execute(select(func.max(CheckRun.as_of)).where(
        CheckRun.finished_at.is_not(None))).scalar()  # type: ignore[union-attr]


def release_interrupted_sends(*, session: Session) -> int:
    """Messages a check claimed but never recorded a result for: that check died while sending
    (only the lock holder sends, so none is still running). They go back to waiting and are
    sent again: a duplicate is preferred to a loss."""
    return rows_changed(session, update(Outbox).where(
        col(Outbox.state) == OutboxState.SENDING).values(
        state=OutboxState.FAILED, last_error="the check sending it stopped before it could "
                                             "record the result; sent again"))


def rules_of_last_check(*, session: Session) -> list[dict[str, str]] | None:
    """The rules in force (timeline, version, file) the latest finished check recorded, or None
    when no check recorded them."""
    text_ = session.execute(select(CheckRun.summary).where(  # type: ignore[call-overload]
        CheckRun.finished_at.is_not(None)).order_by(CheckRun.id.desc()).limit(1)).scalar()  # type: ignore[union-attr]
    rules = json.loads(text_).get("rules") if text_ else None
    return rules if isinstance(rules, list) else None


def refuse_earlier_day(*, session: Session, day: date) -> None:
    """A check for a day before the latest one checked would tell people about old changes
    again and move stored state backwards: refuse it."""
    latest = latest_checked_day(session=session)
    if latest is not None and day < latest:
        raise CheckRefused(
            f"the store was already checked for {latest}; checking an earlier day ({day}) "
            f"would tell people about old changes again. Use `permanence status --as-of {day}` "
            "to see that day.")


def checks_of_day(*, session: Session, day: date) -> int:
    """How many checks of `day` have started, finished or not: a check started now is re-run
    number this many of that day (0: its first check)."""
    return int(session.execute(select(func.count()).select_from(CheckRun).where(
        col(CheckRun.as_of) == day)).scalar_one())


def start_check_run(*, session: Session, as_of: date, flow_run_id: str | None) -> int:
    """Record that a check of `as_of` began (unfinished until `finish_check_run`)."""
    table = CheckRun.__table__  # type: ignore[attr-defined]
    return int(session.execute(table.insert().returning(table.c.id), {
        "as_of": as_of, "flow_run_id": flow_run_id, "started_at": utc_now()}).scalar_one())


def stored_states(*, session: Session, between: tuple[str, str]) -> dict[str, str]:
    """The milestone states the last check stored (JSON text) for a range of case_refs."""
    first, last = between
    return dict(session.execute(
        select(col(CaseState.case_ref), col(CaseState.milestones)).where(
            col(CaseState.case_ref) >= first, col(CaseState.case_ref) <= last)).all())


def save_case_states(*, session: Session, states: Sequence[dict[str, Any]]) -> None:
    upsert(session, CaseState, states, ["case_ref"])


def record_status_changes(*, session: Session, quiet: Sequence[dict[str, Any]],
                          telling: Sequence[dict[str, Any]]) -> list[int]:
    """Store status changes: those that tell nobody in one plain insert, those that tell
    someone with their ids returned, in order, for their notices."""
    insert_rows(session, StatusChange, quiet)
    return insert_returning_ids(session, StatusChange, telling)


def add_notices(*, session: Session, notices: Sequence[dict[str, Any]]) -> None:
    insert_rows(session, Notice, notices)


NOTICE_COLUMNS = (Notice.id, Notice.change_id, Notice.lead_id, Notice.reason, Notice.tier,
                  Notice.outbox_id, StatusChange.case_ref, StatusChange.milestone,
                  StatusChange.timeline, StatusChange.new_status, StatusChange.due,
                  StatusChange.days_overdue, StatusChange.owner, StatusChange.planned_for,
                  Case.sibling_group)


def notices_to_send(*, session: Session) -> list[Any]:
    """Every notice in no message yet, with the notices of each such lead's earlier message
    that reached none of its URLs: that message is superseded, its items go in the new
    digest (one message per lead per run). Oldest first; empty when nothing is new. A folded
    notice's `outbox_id` is its earlier message's; a new one's is None."""
    def notices(*where: Any) -> list[Any]:
        # Plain rows through the connection: columns need none of the ORM's result handling,
        # which costs by the row (a national first day has millions of notices).
        return list(session.connection().execute(select(*NOTICE_COLUMNS).join(  # type: ignore[call-overload]
            StatusChange, col(StatusChange.id) == col(Notice.change_id)).join(
            Case, col(Case.case_ref) == col(StatusChange.case_ref)).where(*where)).all())

    fresh = notices(col(Notice.outbox_id).is_(None))
    if not fresh:
        return []
    # Only digests fold: a message with no notices (the inbox's word to a data lead) has no
    # items to carry over, so it is sent as it is.
    folded = list(session.execute(select(col(Outbox.id)).where(
        col(Outbox.state).in_(WAITING_TO_SEND), col(Outbox.delivered_to) == "",
        col(Outbox.lead_id).in_({row.lead_id for row in fresh}),
        col(Outbox.id).in_(select(col(Notice.outbox_id)).where(
            col(Notice.outbox_id).is_not(None))))).scalars())
    pending = sorted([*fresh, *notices(col(Notice.outbox_id).in_(folded))],
                     key=lambda row: row.id)
    if folded:
        session.execute(update(Outbox).where(col(Outbox.id).in_(folded))
                        .values(state=OutboxState.SUPERSEDED))
    return pending


IN_BATCH = 10_000
"""Ids per `IN (...)`: PostgreSQL takes at most 65,535 parameters a statement, and a national
first check tells of more changes than that."""


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    return batches(sorted(set(ids)), IN_BATCH)


def leads_told(*, session: Session, folded: Collection[int]) -> dict[int, list[str]]:
    """For each status change with a notice waiting for a message (in none yet, or in one of
    the `folded` messages), every lead a notice of it went to, in notice order.

    One statement whatever the number of changes: naming them would mean one look-up of the
    whole notice table per batch of ids."""
    waiting = select(col(Notice.change_id)).where(
        or_(col(Notice.outbox_id).is_(None), col(Notice.outbox_id).in_(sorted(folded))))
    told: dict[int, list[str]] = defaultdict(list)
    for change_id, lead_id in session.connection().execute(
            select(col(Notice.change_id), col(Notice.lead_id))
            .where(col(Notice.change_id).in_(waiting)).order_by(col(Notice.id))):
        told[change_id].append(lead_id)
    return told


def queue_message(*, session: Session, lead_id: str, as_of: date, title: str, body: str,
                  flow_run_id: str | None, notice_ids: Sequence[int]) -> int:
    """Put one digest in the outbox, waiting to be sent, and tie its notices to it."""
    table = Outbox.__table__  # type: ignore[attr-defined]
    outbox_id = int(session.execute(table.insert().returning(table.c.id), {
        "lead_id": lead_id, "as_of": as_of, "title": title, "body": body,
        "state": OutboxState.PENDING, "attempts": 0, "flow_run_id": flow_run_id,
        "created_at": utc_now()}).scalar_one())
    for batch in _batches(notice_ids):
        session.execute(update(Notice).where(col(Notice.id).in_(batch))
                        .values(outbox_id=outbox_id))
    return outbox_id


def messages_waiting(*, session: Session) -> list[Any]:
    """Every message waiting to be sent (new, or failed before), oldest first."""
    return list(session.execute(
        select(col(Outbox.id), col(Outbox.lead_id), col(Outbox.title), col(Outbox.body),
               col(Outbox.delivered_to))
        .where(col(Outbox.state).in_(WAITING_TO_SEND)).order_by(col(Outbox.id))).all())


def lead_urls(*, session: Session) -> dict[str, str]:
    return dict(session.execute(select(col(Lead.lead_id), col(Lead.notify))).all())


def claim_message(*, session: Session, outbox_id: int) -> bool:
    """Mark a waiting message as being sent by this check; False when it is no longer waiting
    (another sender has it, or it went out), so no message is ever sent by two senders."""
    return rows_changed(session, update(Outbox).where(
        col(Outbox.id) == outbox_id, col(Outbox.state).in_(WAITING_TO_SEND))
        .values(state=OutboxState.SENDING)) == 1


def record_attempt(*, session: Session, outbox_id: int, delivered_to: str,
                   failures: Sequence[str]) -> None:
    """One more try at a message: sent, or failed with its reasons, and the URLs that took it."""
    values: dict[str, Any] = {"attempts": Outbox.attempts + 1, "delivered_to": delivered_to}
    if failures:
        values.update(state=OutboxState.FAILED, last_error="; ".join(failures))
    else:
        values.update(state=OutboxState.SENT, sent_at=utc_now(), last_error=None)
    session.execute(update(Outbox).where(col(Outbox.id) == outbox_id).values(**values))


def finish_check_run(*, session: Session, check_run_id: int, summary: dict[str, Any]) -> None:
    session.execute(update(CheckRun).where(col(CheckRun.id) == check_run_id).values(
        finished_at=utc_now(), summary=json.dumps(summary)))
