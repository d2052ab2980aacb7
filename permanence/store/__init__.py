"""The case store: SQLite by default, PostgreSQL in production, through one set of functions.

Data functions are keyword-only and take the session, so one transaction can span a whole
import. Each job has its module (opening the store, the check lock, writes, the caseload reads,
a case's history, the daily check's records); every function is also named here, so
`store.make_engine(...)` reads the same wherever it is called from.
"""

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
from permanence.store.history import (
    CaseLife,
    CaseNotes,
    case_life,
    case_notes,
    milestone_history,
    status_history,
)
from permanence.store.lock import CHECK_LOCK_KEY, LOCK_POLL_SECONDS, CheckLock, check_lock
from permanence.store.reads import (
    case_index,
    case_ref_ranges,
    child_names,
    earliest_events,
    get_case,
    lead_ids,
    lead_names,
    lead_roles,
    load_case_facts,
    teams,
)
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
    "CHECK_LOCK_KEY", "CHUNK", "DEFAULT_DB", "LOCK_POLL_SECONDS", "NOTICE_COLUMNS", "CaseLife",
    "CaseNotes", "CheckLock", "add_notices", "case_index", "case_life", "case_notes",
    "case_ref_ranges", "check_lock", "child_names", "claim_message", "database_url",
    "earliest_events", "finish_check_run", "get_case", "import_cases", "import_leads",
    "init_schema", "insert_rows", "latest_checked_day", "lead_ids", "lead_names", "lead_roles",
    "lead_urls", "leads_told", "load_case_facts", "make_engine", "messages_waiting",
    "milestone_history", "notices_to_send", "purge_personal_data", "queue_message",
    "record_attempt", "record_events", "record_extensions", "record_pauses",
    "record_status_changes", "refuse_earlier_day", "release_interrupted_sends",
    "require_schema", "rules_of_last_check", "save_case_states", "start_check_run",
    "status_history", "stored_states", "teams", "upsert",
]
