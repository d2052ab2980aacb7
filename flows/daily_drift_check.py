"""The daily drift check: every open case evaluated, drift told to the people who own it.

Schedule: every morning at 07:00 Europe/London (deployments/), or `permanence check`.
Parameter: the as-of date (default today in Europe/London); store, rules and channels come from
`permanence.config`.

What a run does, in order:
0. with PERMANENCE_INBOX set, imports the inbox's new extracts (permanence.inbox): each file all
   or nothing, none twice; a refused file goes to quarantine and the run goes on with what the
   store holds, then ends Failed, as it does when no extract arrived for too long (stale data);
   either tells the leads with role `data_lead`;
1. evaluates every open case in chunks of case_refs (a task per chunk, never per case, submitted
   through the task runner PERMANENCE_TASK_RUNNER names: one chunk at a time in this process, or
   several at once on Dask workers; permanence.flows.chunks) and stores, per chunk in one
   transaction, each case's new state, a log row for every milestone whose status, escalation
   tiers or risk changed, and a notice for every lead who must hear of it: newly amber tells the
   owner, newly at risk (booked for after the due date) tells the owner, newly red tells the
   owner, a newly reached escalation tier tells that tier's lead; paused and n/a milestones tell
   nobody;
2. gathers every notice not yet delivered (this run's, any a crash left behind, and the items of
   a lead's earlier undelivered message, which is marked superseded) into one digest per lead,
   written to the outbox in the same transaction that claims the notices;
3. sends every undelivered message through apprise, recording
   each result; a crash between sending and recording re-sends on the next run (a duplicate is
   preferred to a loss);
4. writes the HTML report for the day (permanence.report) into the report folder;
5. publishes the managers' artifacts (permanence.flows.artifacts): a markdown summary naming
   the cases newly red, escalated and amber, a table of red milestones, and a link to the day's
   page of the web page (or where the report is, when no web page is configured).

Each run is named by the day it checks, `check 2026-11-23`, and `check 2026-11-23 (re-run 1)`
when the store already holds a check of that day, so the run history reads as a list of days.

Side effects: imports the inbox's files and moves them to its archive/ or quarantine/; writes
case_state, status_change, notice, outbox and check_run; sends messages;
writes REPORT_DIR/<as-of>/. A run that could not deliver everything (or write its report) still
finishes every other step, then fails, naming what it could not do.
"""

# No `from __future__ import annotations` in this module: a deployment run (serve, or a worker)
# builds the flow's parameter model from its annotations, and as strings `date` is not resolved
# there ("`Daily_Drift_CheckModel` is not fully defined"), so every scheduled run failed.
import hashlib
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Failed, State
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from permanence.clock import refuse_future_day, service_today
from permanence.config import CheckConfig, current_config, web_base_url
from permanence.errors import PermanenceError
from permanence.evaluate import Evaluation, UnresolvedRole
from permanence.explanations import standing_on
from permanence.flows.artifacts import (
    DRIFT_DAYS,
    NEWLY_LIMIT,
    NEWLY_LISTED,
    RED_TABLE_LIMIT,
    Listed,
    NewToday,
    most_overdue,
    publish,
)
from permanence.flows.chunks import ChunkResult, engine_lent, run_chunks
from permanence.flows.scorecard import publish_scorecard
from permanence.inbox import take_in
from permanence.intake import REFUSED, Intake, data_lead_message
from permanence.notifications.delivery import deliver
from permanence.notifications.digest import Digest, DigestItem, render_digest
from permanence.report import write_report_from_store
from permanence.store import check_run, reads
from permanence.store import inbox as inbox_records
from permanence.store.accounts import drift_by_day
from permanence.store.connection import make_engine, require_schema
from permanence.store.explanations import explanations as store_explanations
from permanence.store.lock import CheckLock, check_lock, fence_earlier_chunks
from permanence.summary import CheckSummary
from permanence.timelines import Timeline, load_timelines, rule_changes, rules_in_force

FLOW_NAME = "daily-drift-check"
DATA_LEAD = "data_lead"
"""The role told when the inbox refuses a file, cannot be read, or has gone stale."""



@task(cache_policy=NO_CACHE)
def queue_digests(engine: Engine, timelines: dict[str, Timeline], as_of: date,
                  templates: Any, flow_run_id: str | None) -> int:
    """Put every pending notice into one digest per lead, in the outbox; returns messages queued.

    A lead with new items whose earlier message is still undelivered gets one digest holding
    both, and the earlier message is marked superseded: one message per lead per run. Without
    new items the earlier message is simply sent again as it was."""
    with Session(engine) as session, session.begin():
        pending = check_run.notices_to_send(session=session)
        if not pending:
            return 0
        names = reads.lead_names(session=session)
        told_about = check_run.leads_told(session=session, folded={
            row.outbox_id for row in pending if row.outbox_id is not None})
        # One item per lead and milestone: a folded earlier item gives way to a newer one.
        newest = {(row.lead_id, row.case_ref, row.milestone): row.id for row in pending}
        explained = (standing_on(store_explanations(session=session), as_of)
                     if any(row.reason == "escalated" for row in pending) else {})
        per_lead: dict[str, list[DigestItem]] = defaultdict(list)
        claimed: dict[str, list[int]] = defaultdict(list)
        for row in pending:
            claimed[row.lead_id].append(row.id)
            if newest[(row.lead_id, row.case_ref, row.milestone)] != row.id:
                continue
            rules = timelines.get(row.timeline)
            milestone = rules.milestone(row.milestone) if rules else None
            owner = row.owner
            why = (explained.get((row.case_ref, row.milestone)) if row.reason == "escalated"
                   else None)
            per_lead[row.lead_id].append(DigestItem(
                case_ref=row.case_ref,
                milestone_title=milestone.title if milestone else row.milestone,
                due=row.due, status=row.new_status, days_overdue=row.days_overdue,
                reason=row.reason, tier=row.tier,
                owner=names.get(owner, owner) if owner and row.reason == "escalated" else None,
                also_told=tuple(names.get(lead, lead) for lead in told_about[row.change_id]
                                if lead != row.lead_id),
                planned_for=row.planned_for, sibling_group=row.sibling_group,
                why=why.reason if why else None, next_action=why.next_action if why else None,
                next_by=why.next_by if why else None))
        for lead_id, items in sorted(per_lead.items()):
            digest: Digest = render_digest(recipient_name=names.get(lead_id, lead_id),
                                           items=items, as_of=as_of,
                                           template_dir=templates)
            check_run.queue_message(session=session, lead_id=lead_id, as_of=as_of,
                                title=digest.title, body=digest.body, flow_run_id=flow_run_id,
                                notice_ids=claimed[lead_id])
        return len(per_lead)


@task(cache_policy=NO_CACHE)
def take_in_inbox(engine: Engine, config: CheckConfig, timelines: dict[str, Timeline],
                  as_of: date) -> Intake:
    """Import the inbox's new extracts, in dependency order, each all or nothing; log each
    file, every refusal and stale data."""
    logger = get_run_logger()
    assert config.inbox is not None
    intake = take_in(engine, config.inbox, timelines=timelines, today=service_today(),
                     as_of=as_of, stale_after=config.inbox_stale_days,
                     mapping=config.inbox_map, ssda903=config.inbox_ssda903)
    for file in intake.taken:
        for warning in file.warnings:
            logger.warning("inbox: %s", warning)
        if file.outcome == REFUSED:
            logger.error("inbox: %s refused, moved to %s (%s problems); nothing in it was "
                         "imported", file.name, file.moved_to, len(file.lines))
        else:
            logger.info("inbox: %s; moved to %s", " ".join(file.lines).rstrip("."),
                        file.moved_to)
        if file.problems:  # an SSDA903 return's file: its bad rows' children left out
            logger.warning("inbox: %s has %s bad rows, %s children left out; the problems are "
                           "in %s.problems.txt", file.name, len(file.problems), file.left_out,
                           file.moved_to)
    for name in intake.left:
        logger.info("inbox: %s left for the next run (a temporary name)", name)
    for sentence in (intake.unreadable, intake.stale):
        if sentence:
            logger.error("inbox: %s", sentence)
    return intake


@task(cache_policy=NO_CACHE)
def tell_data_leads(engine: Engine, intake: Intake, as_of: date,
                    flow_run_id: str | None) -> tuple[int, str | None]:
    """Queue a message to every lead with role `data_lead` saying what went wrong with the
    inbox (once per lead, day and message: a re-run with nothing new tells nobody twice);
    returns (messages queued, a configuration problem when no lead has that role)."""
    with Session(engine) as session, session.begin():
        leads = sorted(lead for lead, role, _ in reads.lead_roles(session=session)
                       if role == DATA_LEAD)
        if not leads:
            return 0, (f"no lead has role {DATA_LEAD}, so nobody was told that "
                       + "; ".join(intake.to_tell()))
        names = reads.lead_names(session=session)
        queued = 0
        for lead in leads:
            title, body = data_lead_message(intake, names.get(lead, lead), as_of)
            if inbox_records.message_queued(session=session, lead_id=lead, as_of=as_of,
                                            title=title, body=body):
                continue
            check_run.queue_message(session=session, lead_id=lead, as_of=as_of, title=title,
                                    body=body, flow_run_id=flow_run_id, notice_ids=[])
            queued += 1
    return queued, None


@task(cache_policy=NO_CACHE)
def write_daily_report(engine: Engine, timelines: dict[str, Timeline], as_of: date,
                       report_dir: Path) -> Path:
    """The day's HTML report, in its own folder so earlier days stay readable."""
    return write_report_from_store(engine, timelines, as_of, report_dir / as_of.isoformat())


@task(cache_policy=NO_CACHE)
def send_outbox(engine: Engine, timeout: float) -> tuple[int, list[str]]:
    """Try every message not yet delivered, URL by URL, skipping the URLs that already took it
    and giving each at most `timeout` seconds; returns (delivered, one line per lead still not
    reached)."""
    logger = get_run_logger()
    delivered, undelivered = 0, []
    with Session(engine) as session:
        waiting = check_run.messages_waiting(session=session)
        urls = check_run.lead_urls(session=session)
    for message in waiting:
        with Session(engine) as session, session.begin():
            if not check_run.claim_message(session=session, outbox_id=message.id):
                continue  # no longer waiting: someone else has sent it or is sending it
        took = set(message.delivered_to.split())
        failures: list[str] = []
        notify = urls.get(message.lead_id)
        if notify is None:
            failures.append(f"lead {message.lead_id!r} is no longer in the leads")
        digest = Digest(title=message.title, body=message.body)
        for url in (notify or "").split():
            if fingerprint(url) in took:
                continue
            result = deliver([url], digest, timeout=timeout)
            if result.ok:
                took.add(fingerprint(url))
            failures.extend(result.failures)
        with Session(engine) as session, session.begin():
            check_run.record_attempt(session=session, outbox_id=message.id,
                                 delivered_to=" ".join(sorted(took)), failures=failures)
        if failures:
            logger.error("could not deliver to %s: %s", message.lead_id, "; ".join(failures))
            undelivered.append(f"{message.lead_id} ({'; '.join(failures)})")
        else:
            delivered += 1
    return delivered, undelivered


def fingerprint(url: str) -> str:
    """A short stand-in for a URL, so the outbox records where a message went without keeping a
    second copy of the secrets some URLs hold."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def run_name() -> str:
    """The run's name in Prefect's run history: the day it checks, `check 2026-11-23`, and
    `check 2026-11-23 (re-run 2)` for the second re-run of a day, counted from the check runs
    stored for it. Never fails the run: without a usable store it is the day alone (the run
    then refuses in its own words)."""
    given = flow_run.parameters.get("as_of")
    try:
        day = (date.fromisoformat(given) if isinstance(given, str) else given) or service_today()
    except ValueError:
        return f"check {given}"
    earlier = 0
    try:
        engine = make_engine(current_config().db)
        try:
            with Session(engine) as session:
                earlier = check_run.checks_of_day(session=session, day=day)
        finally:
            engine.dispose()
    except (PermanenceError, SQLAlchemyError):
        pass
    return f"check {day}" + (f" (re-run {earlier})" if earlier else "")


@flow(name=FLOW_NAME, flow_run_name=run_name, log_prints=False)
def daily_drift_check(as_of: date | None = None) -> CheckSummary | State:
    """Evaluate every open case for the as-of date, store what changed, tell who must know.
    Returns the run's summary; a Failed state carrying it when a message was not delivered, or
    carrying the error when the run could not do its work (bad settings, rules or store)."""
    logger = get_run_logger()
    day = as_of or service_today()
    run_id = flow_run.id
    try:
        refuse_future_day(day, option="as_of")
        config: CheckConfig = current_config()
        config.refuse_runner_without_its_store()
        web_url = web_base_url()
        timelines = load_timelines(config.rules)
        engine = make_engine(config.db)
    except PermanenceError as error:
        return _refused(error)
    try:
        require_schema(engine)
        with check_lock(engine, wait=config.lock_wait, waiting=logger.warning) as lock:
            return _check_locked(engine, config, timelines, day, run_id, lock, web_url)
    except DBAPIError as error:
        reason = " ".join(str(error.orig).split())
        return _refused(PermanenceError(
            f"the store {engine.url.render_as_string()} stopped answering during the check "
            f"({reason}); what was stored before that stays. Run the check again once it "
            "answers."))
    except PermanenceError as error:
        return _refused(error)
    finally:
        engine.dispose()


def _refused(error: PermanenceError) -> State:
    """A run that could not do its work ends Failed with the plain reason, as one log line:
    the engineer on call reads the sentence, not a traceback. The CLI raises `error` again."""
    message = " ".join(error.problems)
    get_run_logger().error("%s", message)
    return Failed(message=message, data=error)


def _check_locked(engine: Engine, config: CheckConfig, timelines: dict[str, Timeline],
                  day: date, run_id: Any, lock: CheckLock,
                  web_url: str | None) -> CheckSummary | State:
    """The run itself, while it holds the store's check lock (confirmed before each step that
    writes, since a database restart ends the session holding it)."""
    logger = get_run_logger()
    waited = lock.waited
    if waited:
        logger.warning("started after waiting %.0f s for the check before it", waited)
    holder = fence_earlier_chunks(engine)
    intake: Intake | None = None
    if config.inbox:
        with Session(engine) as session:  # refused before anything is imported
            check_run.refuse_earlier_day(session=session, day=day)
        intake = take_in_inbox(engine, config, timelines, day)
        lock.confirm()
    with Session(engine) as session, session.begin():
        # Under the lock: a later day checked while this run waited refuses this one here.
        check_run.refuse_earlier_day(session=session, day=day)
        interrupted = check_run.release_interrupted_sends(session=session)
        rules_before = check_run.rules_of_last_check(session=session)
        check_run_id = check_run.start_check_run(session=session, as_of=day, flow_run_id=run_id)
        ranges = reads.case_ref_ranges(session=session, size=config.chunk_size)
    if interrupted:
        logger.warning("%s messages were being sent when an earlier check stopped; they are "
                       "sent again", interrupted)
    rules = rules_in_force(timelines)
    rules_changed = rule_changes(rules_before, rules) if rules_before is not None else []
    for line in rules_changed:
        logger.warning("rules changed since the last check (due dates move): %s", line)

    total = ChunkResult()
    with engine_lent(config.db, engine):
        parts = run_chunks(config, lock, [{
            "store_url": config.db, "timelines": timelines, "as_of": day, "first": first,
            "last": last, "notify": config.notify, "flow_run_id": run_id,
            "lock_holder": holder}
            for first, last in ranges])
    for part in parts:
        total.add(part)
    queued = delivered = 0
    undelivered: list[str] = []
    problems_before: list[dict[str, str]] = []
    clock = time.perf_counter()
    if config.notify:
        lock.confirm()
        queued = queue_digests(engine, timelines, day, config.templates, run_id)
        if intake is not None and intake.to_tell():
            told, nobody = tell_data_leads(engine, intake, day, run_id)
            queued += told
            if nobody:
                problems_before.append({"team": "*", "role": DATA_LEAD, "text": nobody})
        total.seconds["queue"], clock = time.perf_counter() - clock, time.perf_counter()
        lock.confirm()
        delivered, undelivered = send_outbox(engine, config.delivery_timeout)
        total.seconds["send"], clock = time.perf_counter() - clock, time.perf_counter()
    lock.confirm()
    report: Path | None = None
    report_error: str | None = None
    if config.report_dir is not None:
        try:
            report = write_daily_report(engine, timelines, day, config.report_dir)
        except PermanenceError as error:
            report_error = " ".join(error.problems)
            logger.error("could not write the report: %s", report_error)
        total.seconds["report"] = time.perf_counter() - clock

    by_team: dict[str, dict[str, int]] = defaultdict(dict)
    for (team, status), count in sorted(total.by_team.items()):
        by_team[team][str(status)] = count
    problems = problems_before + _merge_problems(total.unresolved)
    unevaluated = Evaluation(day, unknown_timelines=total.unknown_timelines)
    not_evaluated = unevaluated.unknown_timeline_problem()
    if not_evaluated:
        problems.insert(0, {"team": "*", "role": "", "text": not_evaluated})
    for problem in problems:
        logger.error("configuration problem in team %s: %s", problem["team"], problem["text"])
    failures = intake.failures() if intake is not None else []
    if not_evaluated:
        failures.append(not_evaluated)
    if undelivered:
        leads = ", ".join(line.split(" ", 1)[0] for line in undelivered)
        failures.append(f"could not deliver to {leads}; kept in the outbox for the next run")
    if report_error:
        failures.append(f"could not write the report: {report_error}")
    summary = CheckSummary(
        as_of=day, cases=total.cases, changes=total.changes, by_team=dict(by_team),
        transitions=dict(total.transitions), red=total.red_count, queued=queued,
        delivered=delivered, undelivered=undelivered, configuration_problems=problems,
        notify=config.notify, flow_run_id=str(run_id) if run_id else None,
        report=str(report.resolve()) if report else None, report_error=report_error,
        failures=failures, waited_seconds=round(waited, 1), rules=rules,
        rules_changed=rules_changed,
        seconds={step: round(value, 3) for step, value in total.seconds.items()},
        inbox=intake.as_json() if intake is not None else None)
    with Session(engine) as session:
        names = reads.lead_names(session=session)
        explained = standing_on(store_explanations(session=session), day)
        drift_days = drift_by_day(session=session, first=day - timedelta(days=DRIFT_DAYS - 1),
                                  last=day)
    if total.red_count > RED_TABLE_LIMIT:
        logger.warning("red milestones table cut to the %s most overdue of %s",
                       RED_TABLE_LIMIT, total.red_count)
    new_today = {kind: NewToday([Listed.of(row, names) for row in most_overdue(
                     total.newly.get(kind, []), NEWLY_LIMIT)], total.newly_count[kind])
                 for kind, _ in NEWLY_LISTED}
    red = [Listed.of(row, names, explained)
           for row in most_overdue(total.red, RED_TABLE_LIMIT)]
    publish(summary, new_today, red, report, web_url, drift_days)
    if (period_end := publish_scorecard(engine, day, web_url)) is not None:
        logger.info("published the adoption scorecard for the period ending %s", period_end)
    lock.confirm()
    with Session(engine) as session, session.begin():
        check_run.finish_check_run(session=session, check_run_id=check_run_id,
                               summary=summary.as_json())
    logger.info("%s open cases, %s changes, %s messages queued, %s delivered, %s undelivered",
                total.cases, total.changes, queued, delivered, len(undelivered))
    if failures:
        return Failed(message="; ".join(failures), data=summary)
    return summary



def _merge_problems(unresolved: list[UnresolvedRole]) -> list[dict[str, str]]:
    """One line per (timeline, team, role), chunks merged."""
    merged: dict[tuple[str, str, str], UnresolvedRole] = {}
    for found in unresolved:
        key = (found.timeline, found.team, found.role)
        problem = found
        if key in merged:
            before = merged[key]
            problem = UnresolvedRole(*key, tuple(sorted(set(before.milestones)
                                                        | set(found.milestones))),
                                     before.case_refs + found.case_refs)
        merged[key] = problem
    return [{"team": p.team, "role": p.role, "text": p.describe()}
            for _, p in sorted(merged.items())]

