"""The web page's records: who may sign in (accounts over the leads table), who is signed in
(sessions), and the daily checks' counts it draws drift over time from."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from permanence.errors import BadInput
from permanence.models import CheckRun, Lead, WebAccount, WebSession, utc_now
from permanence.store.writes import rows_changed


class Account(NamedTuple):
    """A lead who may sign in, with what decides what they see."""

    lead_id: str
    name: str
    role: str
    team: str  # `*`: every team
    password_hash: str | None  # None: single sign-on only
    with_names: bool


_ACCOUNT_COLUMNS = (col(Lead.lead_id), col(Lead.name), col(Lead.role), col(Lead.team),
                    col(WebAccount.password_hash), col(WebAccount.with_names))


def save_account(*, session: Session, lead_id: str, password_hash: str | None,
                 with_names: bool) -> bool:
    """Let a lead sign in, or replace their password and name access; True when the account
    is new. A lead the store does not hold is refused: access follows the lead's team. A
    changed password ends the lead's sessions, so a leaked one stops working at once."""
    if session.get(Lead, lead_id) is None:
        raise BadInput(f"{lead_id!r} is not a lead in the store; import it with `permanence "
                       "import leads` first")
    account = session.get(WebAccount, lead_id)
    if account is None:
        session.add(WebAccount(lead_id=lead_id, password_hash=password_hash,
                               with_names=with_names))
        return True
    account.password_hash = password_hash
    account.with_names = with_names
    account.updated_at = utc_now()
    session.add(account)
    session.execute(delete(WebSession).where(col(WebSession.lead_id) == lead_id))
    return False


def remove_account(*, session: Session, lead_id: str) -> bool:
    """Stop a lead signing in, ending their sessions; False when they had no account."""
    session.execute(delete(WebSession).where(col(WebSession.lead_id) == lead_id))
    return rows_changed(session, delete(WebAccount).where(
        col(WebAccount.lead_id) == lead_id)) == 1


def accounts(*, session: Session) -> list[Account]:
    """Every account with its lead, by lead_id."""
    rows = session.execute(select(*_ACCOUNT_COLUMNS).join(
        WebAccount, col(WebAccount.lead_id) == col(Lead.lead_id)).order_by(col(Lead.lead_id)))
    return [Account(*row) for row in rows]


def account(*, session: Session, lead_id: str) -> Account | None:
    """The account of a lead, or None when they may not sign in."""
    row = session.execute(select(*_ACCOUNT_COLUMNS).join(
        WebAccount, col(WebAccount.lead_id) == col(Lead.lead_id)).where(
        col(Lead.lead_id) == lead_id)).first()
    return Account(*row) if row is not None else None


def replace_password_hash(*, session: Session, lead_id: str, password_hash: str) -> None:
    """Store a stronger hash of the same password (argon2's parameters were raised)."""
    session.execute(update(WebAccount).where(col(WebAccount.lead_id) == lead_id).values(
        password_hash=password_hash))


def start_session(*, session: Session, token_hash: str, lead_id: str, csrf_token: str,
                  now: datetime) -> None:
    session.add(WebSession(token_hash=token_hash, lead_id=lead_id, csrf_token=csrf_token,
                           created_at=now, last_seen_at=now))


def live_session(*, session: Session, token_hash: str, now: datetime, idle: timedelta,
                 lifetime: timedelta) -> tuple[Account, str] | None:
    """The account and CSRF token of a session still alive at `now` (seen within `idle`,
    started within `lifetime`), marked as seen; None otherwise, and an expired session is
    deleted, so its cookie never works again."""
    found = session.get(WebSession, token_hash)
    if found is None:
        return None
    if (_aware(found.last_seen_at) <= now - idle
            or _aware(found.created_at) <= now - lifetime):
        session.delete(found)
        return None
    signed_in = account(session=session, lead_id=found.lead_id)
    if signed_in is None:
        return None
    found.last_seen_at = now
    session.add(found)
    return signed_in, found.csrf_token


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes for what was stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def end_session(*, session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(col(WebSession.token_hash) == token_hash))


def end_expired_sessions(*, session: Session, now: datetime, idle: timedelta,
                         lifetime: timedelta) -> int:
    """Delete every session past its idle or absolute expiry; returns how many."""
    return rows_changed(session, delete(WebSession).where(
        (col(WebSession.last_seen_at) <= now - idle)
        | (col(WebSession.created_at) <= now - lifetime)))


TeamCounts = dict[str, dict[str, int]]
"""Per team, how many milestones are in each status (a check summary's `by_team`)."""


def drift_by_day(*, session: Session, first: date, last: date) -> list[tuple[date, TeamCounts]]:
    """Per as-of day from `first` to `last` that a check finished for, the milestones in each
    status per team, from that day's latest finished check (a re-run's counts stand)."""
    rows = session.execute(
        select(col(CheckRun.as_of), col(CheckRun.summary)).where(
            col(CheckRun.finished_at).is_not(None), col(CheckRun.as_of) >= first,
            col(CheckRun.as_of) <= last).order_by(col(CheckRun.as_of), col(CheckRun.id)))
    days: dict[date, TeamCounts] = {}
    for as_of, summary in rows:
        by_team = json.loads(summary).get("by_team") if summary else None
        if isinstance(by_team, dict):
            days[as_of] = by_team
    return sorted(days.items())
