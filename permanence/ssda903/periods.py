"""One child's episodes as periods of care, and the dates each period's case records.

Pure functions of a child's merged records (permanence.ssda903.tables.ChildRecords); every rule
is the contract's, in docs/ssda903.md with a worked example.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from permanence.ssda903.tables import ChildRecords, Episode

ADOPTIVE_PLACES = frozenset({"A3", "A4", "A5", "A6"})
"""PLACE codes of a placement for adoption (A3, A5: with the child's current foster carers)."""
WITH_FOSTER_CARERS = frozenset({"A3", "A5"})
FOSTER_PLACES = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})
SAME_CARERS = frozenset({"L", "T", "U"})
"""RNE codes of an episode that continues with the same carers: a change of legal status only
(L), or of legal status and placement with the carers staying the same (T, U)."""
ADOPTED = frozenset({"E11", "E12"})
"""REC codes of an episode ended by an adoption order."""
PLACEMENT_ORDER_LS = frozenset({"E1", "D1"})
"""LS codes of a placement order (E1) or, before 2005, a freeing order (D1)."""
SAME_PERIOD = "X1"
"""REC of an episode followed by another in the same period of care."""

DONE = "done"
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Period:
    """A period of care: its start, its end (None while open) and its episodes in order."""

    start: date
    end: date | None
    episodes: tuple[Episode, ...]

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Dated:
    """A date a case records for a milestone: `done`, or `not_applicable` from that day."""

    milestone: str
    on: date
    kind: str = DONE


@dataclass(frozen=True, slots=True)
class PeriodCase:
    """The case of one period of care: what the store's case row and events need."""

    case_ref: str
    child: str
    looked_after_on: date
    closed_on: date | None
    date_of_birth: date | None
    adoption: bool
    """The period shows adoption evidence: it goes on the adoption timeline."""
    dates: tuple[Dated, ...]
    adopted_unplaced: bool = False
    """Ended in adoption from a placement never coded A3-A6: no placed_with_adopters."""


def periods_of_care(episodes: list[Episode]) -> list[Period]:
    """Episodes (in DECOM order) as periods: a period starts at the first episode, at an episode
    with RNE `S`, and after an episode whose REC is not `X1`; it ends at the DEC of an episode
    whose REC is not `X1`, and is open when its last episode has no DEC or ended with `X1`."""
    runs: list[list[Episode]] = []
    for episode in episodes:
        if not runs or episode.rne == "S" or runs[-1][-1].rec != SAME_PERIOD:
            runs.append([episode])
        else:
            runs[-1].append(episode)
    return [Period(run[0].decom,
                   run[-1].dec if run[-1].dec is not None and run[-1].rec != SAME_PERIOD
                   else None, tuple(run)) for run in runs]


def _last_adoptive_run(episodes: tuple[Episode, ...]) -> list[int]:
    """The indexes of the last run of episodes with PLACE A3-A6, a run being joined by an
    episode entered with RNE L, T or U; empty when there is none."""
    runs: list[list[int]] = []
    for index, episode in enumerate(episodes):
        if episode.place not in ADOPTIVE_PLACES:
            continue
        if (runs and runs[-1][-1] == index - 1 and episode.rne in SAME_CARERS):
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs[-1] if runs else []


def period_dates(records: ChildRecords, period: Period) -> tuple[list[Dated], bool]:
    """The dates a period's case records (derived dates outside the period ignored), and
    whether it ended in adoption from a placement never coded A3-A6."""
    episodes = period.episodes
    dates = [Dated("entered_care", period.start)]
    reviews = [day for day in records.reviews if period.holds(day)]
    for milestone, day in zip(("first_review", "second_review"), reviews, strict=False):
        dates.append(Dated(milestone, day))
    dates += [Dated("lac_review", day) for day in reviews[2:]]
    decisions = [decision for decision in records.decisions if period.holds(decision.date_placed)]
    if decisions:
        dates.append(Dated("agency_decision", decisions[-1].date_placed))
    order = next((e.decom for e in episodes if e.ls in PLACEMENT_ORDER_LS), None)
    if order is not None:
        dates.append(Dated("placement_order", order))
    matches = [row for row in records.adopted if period.holds(row.date_match)]
    match = matches[-1] if matches else None  # the latest DATE_MATCH; of a tie, read last
    if match is not None:
        dates.append(Dated("matched", match.date_match))

    adopted = episodes[-1].rec in ADOPTED and period.end is not None
    run = _last_adoptive_run(episodes)
    if adopted and run and run[-1] != len(episodes) - 1:
        run = []  # the adoption was not from that placement
    placed = episodes[run[0]].decom if run else None
    ceased = decisions[-1].date_placed_ceased if decisions else None
    if ceased is not None and period.holds(ceased) and (placed is None or placed <= ceased):
        dates.append(Dated("placed_with_adopters", ceased, NOT_APPLICABLE))
        placed = None
    elif placed is not None:
        dates.append(Dated("placed_with_adopters", placed))
    if adopted and placed is not None:
        by_carers = (match.foster_care if match is not None else None)
        if by_carers is None:
            by_carers = episodes[run[0]].place in WITH_FOSTER_CARERS
        if by_carers:
            first = run[0]
            while (first > 0 and episodes[first].rne in SAME_CARERS
                   and episodes[first - 1].place in FOSTER_PLACES | ADOPTIVE_PLACES):
                first -= 1
            dates.append(Dated("fostered_by_adopters", episodes[first].decom))
    if adopted:
        assert period.end is not None
        dates.append(Dated("adoption_order", period.end))
    return dates, adopted and placed is None


def has_adoption_evidence(records: ChildRecords, period: Period) -> bool:
    """A PlacedAdoption DATE_PLACED in the period, an episode with LS E1 or D1 or with PLACE
    A3-A6, or an episode ending with REC E11 or E12."""
    return (any(period.holds(decision.date_placed) for decision in records.decisions)
            or any(e.ls in PLACEMENT_ORDER_LS or e.place in ADOPTIVE_PLACES
                   or (e.dec is not None and e.rec in ADOPTED) for e in period.episodes))


def period_cases(records: ChildRecords) -> list[PeriodCase]:
    """One case per period of care of a child, `CHILD-YYYYMMDD` (the period's start)."""
    cases = []
    for period in periods_of_care(records.episodes):
        dates, unplaced = period_dates(records, period)
        cases.append(PeriodCase(f"{records.child}-{period.start:%Y%m%d}", records.child,
                                period.start, period.end, records.date_of_birth,
                                has_adoption_evidence(records, period), tuple(dates), unplaced))
    return cases
