"""SYNTHETIC SSDA903 returns: made-up children, for the examples, the tests and the benchmark.

No row describes a real child. A seeded generator (the same seed gives the same return) of
plausible journeys: short stays that end at home, long-term fostering, special guardianship,
adoption (some by foster carers after a foster-to-adopt placement, some after a placement that
disrupted, some with the agency decision reversed), and re-entries to care. `extract` makes one
extract covering every year; `annual_returns` cuts it into the returns a council submits each
year (1 April to 31 March), an episode open at a year's end shown open in that year's return;
`tables_csv` writes either as the return's CSV files.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

EPISODE_COLUMNS = ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                   "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
HEADER_COLUMNS = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
REVIEW_COLUMNS = ("CHILD", "DOB", "REVIEW", "REVIEW_CODE")
AD1_COLUMNS = ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR",
               "SEX_ADOPTR", "LS_ADOPTR")
PLACED_COLUMNS = ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")
ETHNIC = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "MOTH", "BAFR", "BCRB", "APKN", "AIND")


@dataclass(frozen=True)
class SyntheticEpisode:
    decom: date
    rne: str
    ls: str
    place: str
    dec: date | None = None
    rec: str = ""


@dataclass
class SyntheticChild:
    child: str
    sex: str
    dob: date
    ethnic: str
    episodes: list[SyntheticEpisode] = field(default_factory=list)
    reviews: list[date] = field(default_factory=list)
    adopted: list[tuple[date, date, str]] = field(default_factory=list)
    """AD1 rows: (DATE_INT, DATE_MATCH, FOSTER_CARE)."""
    decisions: list[tuple[date, date | None]] = field(default_factory=list)
    """PlacedAdoption rows: (DATE_PLACED, DATE_PLACED_CEASED)."""


def _stays(rng: random.Random, kind: str) -> tuple[list[tuple[int, str, str, str]], str]:
    """A period's episodes as (days, RNE, LS, PLACE) and the REC ending it."""
    foster = rng.choice(("U1", "U3", "U4", "U6"))
    if kind == "home":
        steps = [(rng.randint(5, 200), "S", rng.choice(("V2", "C1", "L2")), foster)]
        if rng.random() < 0.4:
            steps.append((rng.randint(20, 300), "P", steps[0][2], rng.choice(("U1", "K2", "R1"))))
        return steps, rng.choice(("E13", "E4A", "E4B", "E8"))
    if kind == "long":  # long-term care, with a few moves of placement
        moves = [(rng.randint(60, 500), "P", "C2", rng.choice(("U1", "U4", "K2", "R1", "P2")))
                 for _ in range(rng.randint(1, 5))]
        return ([(rng.randint(30, 150), "S", "C1", foster),
                 (rng.randint(300, 1000), "L", "C2", foster), *moves],
                rng.choice(("E17", "E5", "E8")))
    if kind == "sgo":
        return ([(rng.randint(30, 150), "S", "C1", foster),
                 (rng.randint(200, 500), "L", "C2", foster)], rng.choice(("E45", "E46", "E47")))
    before = [(rng.randint(30, 120), "S", "C1", "U3"), (rng.randint(150, 400), "L", "C2", foster)]
    if kind == "foster_adopt":  # placed with carers who are also approved adopters
        return ([(rng.randint(10, 60), "S", "C1", "U3"), (rng.randint(150, 300), "P", "C1", "U4"),
                 (rng.randint(30, 120), "L", "E1", "U4"), (rng.randint(150, 400), "T", "E1", "A5")],
                rng.choice(("E11", "E12")))
    if kind == "disrupted":
        return ([*before, (rng.randint(60, 200), "L", "E1", foster),
                 (rng.randint(20, 120), "P", "E1", "A4"), (rng.randint(60, 200), "P", "E1", foster),
                 (rng.randint(150, 400), "P", "E1", "A4")], "E11")
    return ([*before, (rng.randint(60, 250), "L", "E1", foster),
             (rng.randint(150, 400), "P", "E1", rng.choice(("A4", "A6")))],
            rng.choice(("E11", "E11", "E12")))


KINDS = (("home", 45), ("long", 25), ("sgo", 8), ("adopt", 12), ("foster_adopt", 4),
         ("disrupted", 2), ("reversed", 4))


def _child(rng: random.Random, number: int, first: date, last: date) -> SyntheticChild:
    span = (last - first).days
    start = first + timedelta(days=rng.randint(-730, span - 30))
    child = SyntheticChild(f"{number:06d}", rng.choice("12"),
                           start - timedelta(days=rng.randint(20, 16 * 365)), rng.choice(ETHNIC))
    periods = 2 if rng.random() < 0.12 else 1
    day = start
    for period in range(periods):
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        if period < periods - 1:
            kind = "home"
        steps, rec = _stays(rng, "sgo" if kind == "reversed" else kind)
        period_start = day
        for index, (days, entered, ls, place) in enumerate(steps):
            rne = "S" if index == 0 else entered
            end = day + timedelta(days=days)
            if end > last:
                child.episodes.append(SyntheticEpisode(day, rne, ls, place))
                day = end
                break
            child.episodes.append(SyntheticEpisode(day, rne, ls, place, end,
                                                   rec if index == len(steps) - 1 else "X1"))
            day = end
        period_end = min(day, last)
        if kind in ("adopt", "foster_adopt", "disrupted", "reversed"):
            order = next((e.decom for e in child.episodes if e.ls == "E1"
                          and e.decom >= period_start), None)
            decided = (order or period_start + timedelta(days=60)) - timedelta(
                days=rng.randint(20, 120))
            decided = max(decided, period_start + timedelta(days=1))
            ceased = None
            if kind == "reversed" and child.episodes[-1].dec is not None:
                ceased = child.episodes[-1].dec - timedelta(days=rng.randint(10, 60))
                ceased = max(ceased, decided)
            if decided <= last:
                child.decisions.append((decided, ceased))
            final = child.episodes[-1]
            if final.rec in ("E11", "E12"):
                placed = next(e.decom for e in reversed(child.episodes) if e.place in ("A4", "A5",
                                                                                        "A6"))
                match = placed - timedelta(days=rng.randint(5, 60))
                child.adopted.append((decided, match, "1" if kind == "foster_adopt" else "0"))
        review = period_start + timedelta(days=rng.randint(5, 25))
        gap = rng.randint(70, 100)
        while review <= period_end:
            child.reviews.append(review)
            review += timedelta(days=gap)
            gap = rng.randint(150, 185)
        if period < periods - 1:
            if day >= last:
                break
            day = day + timedelta(days=rng.randint(30, 400))
            if day > last:
                break
    return child


def extract(children: int, *, seed: int = 903, last: date = date(2026, 3, 31),
            years: int = 5) -> list[SyntheticChild]:
    """A SYNTHETIC extract: `children` made-up children, looked after at some point in the
    `years` years ending `last` (episodes may start up to two years before)."""
    rng = random.Random(seed)
    first = date(last.year - years, last.month, last.day) + timedelta(days=1)
    return [_child(rng, number, first, last) for number in range(1, children + 1)]


def annual_returns(children: Iterable[SyntheticChild], first_year_end: date,
                   last_year_end: date) -> dict[str, list[SyntheticChild]]:
    """The extract cut into returns, one per year ending 31 March: each holds the episodes open
    at some point of its year (DEC and REC blank when they came after its end), the reviews and
    agency decisions of the year (a reversal after the year's end blank) and, in the year of the
    adoption order, the AD1 row. Keyed by the year's label, `2019-20`."""
    returns: dict[str, list[SyntheticChild]] = {}
    children = list(children)
    year_end = first_year_end
    while year_end <= last_year_end:
        year_start = date(year_end.year - 1, 4, 1)
        label = f"{year_end.year - 1}-{year_end.year % 100:02d}"
        members = []
        for child in children:
            episodes = [e if e.dec is None or e.dec <= year_end else replace(e, dec=None, rec="")
                        for e in child.episodes
                        if e.decom <= year_end and (e.dec is None or e.dec >= year_start)]
            if not episodes:
                continue
            adopted_in_year = [e.dec for e in child.episodes
                               if e.rec in ("E11", "E12") and e.dec is not None
                               and year_start <= e.dec <= year_end]
            members.append(replace(
                child, episodes=episodes,
                reviews=[day for day in child.reviews if year_start <= day <= year_end],
                adopted=child.adopted if adopted_in_year else [],
                decisions=[(placed, ceased if ceased is None or ceased <= year_end else None)
                           for placed, ceased in child.decisions
                           if placed <= year_end and (ceased is None or ceased >= year_start)]))
        returns[label] = members
        year_end = date(year_end.year + 1, 3, 31)
    return returns


def _dmy(day: date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


def tables_csv(children: Iterable[SyntheticChild]) -> dict[str, str]:
    """The return's CSV files by name (header.csv, episodes.csv, reviews.csv, ad1.csv,
    placed_adoption.csv), with the columns a real return has."""
    rows: dict[str, tuple[tuple[str, ...], list[list[str]]]] = {
        "header.csv": (HEADER_COLUMNS, []), "episodes.csv": (EPISODE_COLUMNS, []),
        "reviews.csv": (REVIEW_COLUMNS, []), "ad1.csv": (AD1_COLUMNS, []),
        "placed_adoption.csv": (PLACED_COLUMNS, [])}
    for child in children:
        dob = _dmy(child.dob)
        rows["header.csv"][1].append([child.child, child.sex, dob, child.ethnic,
                                      f"A{child.child}", "", ""])
        for e in child.episodes:
            rows["episodes.csv"][1].append([child.child, _dmy(e.decom), e.rne, e.ls, "N1",
                                            e.place, "PR1", _dmy(e.dec), e.rec, "", "", "", ""])
        rows["reviews.csv"][1].extend([[child.child, dob, _dmy(day), "PN1"]
                                   for day in child.reviews])
        rows["ad1.csv"][1].extend([[child.child, dob, _dmy(wanted), _dmy(match), foster, "2", "MF",
                                "L0"] for wanted, match, foster in child.adopted])
        rows["placed_adoption.csv"][1].extend([[child.child, dob, _dmy(placed), _dmy(ceased),
                                            "RD1" if ceased else ""]
                                           for placed, ceased in child.decisions])
    files = {}
    for name, (columns, table) in rows.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(table)
        files[name] = buffer.getvalue()
    return files
