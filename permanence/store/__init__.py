"""The case store: SQLite by default, PostgreSQL in production, through one set of functions.

Data functions are keyword-only and take the session, so one transaction can span a whole
import. Each job has its module (opening the store, the check lock, writes, the caseload reads,
a case's history, the daily check's records, the inbox's records, snapshots' missing cases,
the web page's accounts and sessions); every
function is also named here, so `store.make_engine(...)` reads the same wherever it is called
from.
"""

from permanence.store.accounts import (
    Account,
    TeamCounts,
    account,
    accounts,
    drift_by_day,
    end_expired_sessions,
    end_session,
    live_session,
    remove_account,
    replace_password_hash,
    save_account,
    start_session,
)
from permanence.store.check_run import (
    NOTICE_COLUMNS,
    add_notices,
    claim_message,
    finish_check_run,
    latest_checked_day,
    lead_urls,
    leads_told,
    messages_waiting,
    notices_to_send,
    queue_message,
    record_attempt,
    record_status_changes,
    refuse_earlier_day,
    release_interrupted_sends,
    rules_of_last_check,
    save_case_states,
    start_check_run,
    stored_states,
)
from permanence.store.connection import (
    DEFAULT_DB,
    database_url,
    init_schema,
    make_engine,
    require_schema,
)
from permanence.store.explanations import (
    add_explanation,
    explanations,
    standing_explanations,
)
from permanence.store.history import (
    CaseLife,
    CaseNotes,
    case_life,
    case_notes,
    milestone_history,
    status_history,
)
from permanence.store.inbox import (
    HeldFile,
    imported_file,
    last_received,
    message_queued,
    record_imported,
    record_received_again,
)
from permanence.store.lock import CHECK_LOCK_KEY, LOCK_POLL_SECONDS, CheckLock, check_lock
from permanence.store.reads import (
    CASE_COLUMNS,
    case_index,
    case_ref_ranges,
    case_rows,
    child_names,
    earliest_events,
    get_case,
    lead_ids,
    lead_names,
    lead_roles,
    load_case_facts,
    occurrence_dates,
    standing_dates,
    teams,
)
from permanence.store.scorecard import checked_day_before, scorecard_dates
from permanence.store.snapshots import missing_from_snapshot, record_snapshot
from permanence.store.writes import (
    CHUNK,
    import_cases,
    import_leads,
    insert_rows,
    purge_personal_data,
    record_events,
    record_extensions,
    record_pauses,
    upsert,
)

__all__ = [
    "CHECK_LOCK_KEY", "CHUNK", "DEFAULT_DB", "LOCK_POLL_SECONDS", "NOTICE_COLUMNS", "Account",
    "CaseLife", "CaseNotes", "CheckLock", "HeldFile", "TeamCounts", "account", "accounts",
    "add_explanation", "add_notices", "case_index", "case_life", "case_notes", "case_ref_ranges",
    "check_lock", "child_names", "claim_message", "database_url", "drift_by_day", "earliest_events",
    "end_expired_sessions", "end_session", "explanations", "finish_check_run", "get_case",
    "import_cases", "import_leads", "imported_file", "init_schema", "insert_rows", "last_received",
    "latest_checked_day", "lead_ids", "lead_names", "lead_roles", "lead_urls", "leads_told",
    "live_session", "load_case_facts", "make_engine", "message_queued", "messages_waiting",
    "milestone_history", "notices_to_send", "purge_personal_data", "queue_message",
    "record_attempt", "record_events", "record_extensions", "record_imported", "record_pauses",
    "record_received_again", "record_status_changes", "refuse_earlier_day",
    "release_interrupted_sends", "remove_account", "replace_password_hash", "require_schema",
    "rules_of_last_check", "save_account", "save_case_states", "standing_explanations",
    "start_check_run", "start_session", "status_history", "stored_states", "teams", "upsert",
]
__all__ += ["checked_day_before", "scorecard_dates"]  # the adoption scorecard's reads
__all__ += ["missing_from_snapshot", "record_snapshot"]  # the open cases a snapshot missed
__all__ += ["CASE_COLUMNS", "case_rows", "occurrence_dates", "standing_dates"]  # re-imports
