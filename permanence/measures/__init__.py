"""Measures for improvement work, the RAG board's counts, the workload forecast and data quality.

Pure functions of (timelines, case facts, an evaluation, leads, as-of date): no I/O, no clock.
The HTML report (`permanence.report`) and `permanence measures` both print these figures, so
the page and the data always agree.

`stats` holds the arithmetic, `history` the figures over every case counted, `board` and
`quality` those over open cases, and `figures` gathers them into `measure()`'s `Measures`;
every name is also importable from `permanence.measures`.
Definitions, fixed here because a committee compares them month by month:

- **Days from anchor.** A clocked milestone's anchor is the date its clock started from, as
  evaluation counts it: the completion date of the milestone it comes `after` (when that is a
  start milestone: its recorded date, else the case's `looked_after_on`; when that step no
  longer applies (`n/a`), the date that step's own clock started from; when that step recurs,
  its first occurrence). Its duration is completion - anchor in calendar days, less the
  case's paused days P with anchor < P <= completion (a clock stands still while the case is
  paused, so the days it was paused are not time the step took).
- **Recurring steps** (`every`): each occurrence counts in the month it was held: the first
  from the anchor, each later one from the occurrence before it. Lead-time steps (`before`
  + `lead`) have no anchor and are not measured. Record-only steps (`after` with no `within`)
  have no clock and are not measured either; a step after one counts from its date.
- **Counted.** Every case that became looked after on or before the as-of date, open or closed:
  the measures are history, and a case usually closes once permanence is reached, so leaving
  closed cases out would leave out most finished journeys. Completions dated after the as-of
  date are ignored, as everywhere else. (The RAG board, forecast and timelines consider open
  cases only, as the contract says.)
- **Not counted, reported as data quality instead.** A completion whose anchor is not recorded
  (`no_anchor`), or that is dated before its anchor (`out_of_order`): its duration is unknown or
  negative, so it would distort the figures.
- **Month of completion.** The calendar month (YYYY-MM) in which the milestone was completed;
  the as-of date's own month holds the completions up to that date only.
- **Median.** The middle value of the sorted durations; for an even count, the mean of the two
  middle values (so it may end in .5).
- **90th percentile (p90).** Nearest rank: the smallest duration that at least 90% of the
  durations do not exceed, i.e. the value at position ceil(0.9 n) of the sorted list (1-based).
  It is always a duration that really happened.
- **On time.** Completed on or before the due date as evaluation gives it on the as-of date
  (status `done`, not `late`): the rule's date from the anchor, moved on by the case's paused
  days, or the date agreed in an extension where one stands (approved on or before the as-of
  date; the latest approval stands). `on_time` counts the month's n completions that were;
  `extended` says how many of the n were judged against an agreed date.
- **Fell due.** A clock falls due in the month of its due date (as evaluation gives it on the
  as-of date) once that date is before the as-of date: a clock due on the as-of date can still
  be done on time that day. It is then done on time, done late, or open (not done by the as-of
  date; `red`, or `paused` after it was overdue). Not counted: a step `n/a` on the as-of date,
  one with no clock yet (`waiting`), a lead time, a record-only step, and, for a closed
  case, a clock due on or after the day it closed. Each occurrence of a recurring step is a
  clock due from the one before it, and so is the next one once overdue.
- **Share on time.** Of the clocks that fell due in the month, the share done on time
  (`due_on_time / due`; None when none fell due): a step never done counts against it like
  one done late. (Before issue 11 it was the share of the month's completions on time, which
  a step never done did not lower.)
- **Extensions granted.** Every extension approved on or before the as-of date, over the
  cases counted, by milestone and month of approval (a second approval for one step counts
  again: each is a decision someone made).
- **At risk.** Open clocks (green, amber or red) booked, as known on the as-of date, for a
  date after their due date, soonest due first.
- **Journey.** Per timeline: days from the start milestone's date to the completion of the
  timeline's last milestone in its rule file that is neither recurring, a lead time nor
  record-only (rule files list steps in journey order), bucketed by the month of that
  completion. Calendar days, paused ones included: a journey is how long the child waited.
- **Run chart.** The points are the monthly medians (months with completions), or the
  monthly shares on time (months in which a clock fell due); the centre line is the median of
  those points. Its rules (shift, trend, too few or too many runs, an astronomical point) are
  defined in `stats.run_chart`.
- **Forecast.** Open clocks (green or amber) whose due date falls in the 28 days starting on
  the as-of date, per team and per owner, in four weeks (week 1 is as-of to as-of + 6).
- **Drift, oldest first.** Red milestones by days overdue, most first; then amber ones by due
  date, soonest first; ties by case_ref.
- **Data quality.** `out_of_order` and `no_anchor` as above, and `unknown_milestone` (a
  completion of a milestone the case's timeline does not have), over the cases the measures
  count; `no_social_worker` (an open case whose social_worker is not a lead) and
  `unresolved_role` (any other role that resolves to nobody, one item per timeline, team and
  role, as evaluation reports it), over open cases; `missing_from_snapshot` (an open case
  that the latest snapshot, a cases extract of every open case, did not hold), from the day
  that snapshot was imported.
- **Unexplained red** (`unexplained_red`, a data-quality item, in `reasons`): a red milestone
  with no explanation (`permanence explain`) given on or before the as-of date (for a recurring
  step: after its last occurrence), from the 11th working day after its due date (weekends and
  the timeline's jurisdiction's bank holidays not counted): red for more than 10 working days
  with no reason.
"""

from permanence.measures.board import (
    FORECAST_DAYS,
    NOBODY,
    RAG,
    RagRow,
    WorkloadRow,
    at_risk,
    drift,
    drift_order,
    forecast,
    rag_counts,
)
from permanence.measures.figures import CSV_COLUMNS, Measures, at_risk_json, csv_rows, measure
from permanence.measures.history import (
    ExtensionMeasure,
    JourneyMeasure,
    MonthMeasure,
    extension_counts,
    history_measures,
    paused_within,
)
from permanence.measures.quality import (
    QUALITY_KINDS,
    QualityItem,
    open_case_quality,
    snapshot_quality,
)
from permanence.measures.reasons import UNEXPLAINED_AFTER, unexplained_red
from permanence.measures.stats import (
    SHIFT_LENGTH,
    RunChart,
    median,
    month_of,
    percentile,
    run_chart,
)

__all__ = [
    "CSV_COLUMNS", "FORECAST_DAYS", "NOBODY", "QUALITY_KINDS", "RAG", "SHIFT_LENGTH",
    "UNEXPLAINED_AFTER",
    "ExtensionMeasure", "JourneyMeasure", "Measures", "MonthMeasure", "QualityItem", "RagRow",
    "RunChart", "WorkloadRow", "at_risk", "at_risk_json", "csv_rows", "drift", "drift_order",
    "extension_counts", "forecast", "history_measures", "measure", "median", "month_of",
    "open_case_quality", "paused_within", "percentile", "rag_counts", "run_chart",
    "snapshot_quality", "unexplained_red",
]
