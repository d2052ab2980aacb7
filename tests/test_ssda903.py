"""The SSDA903 return read into cases and dates (permanence.ssda903), with no store: a small
hand-made return for each rule of docs/ssda903.md, the dates worked out by hand from the rows."""

from __future__ import annotations

from datetime import date

import pytest

from permanence.errors import ImportRefused
from permanence.ssda903.cases import Plan, plan_import
from permanence.ssda903.periods import periods_of_care
from permanence.ssda903.tables import ReturnReader, read_allocations, read_date, recognise

TODAY = date(2026, 11, 23)
MILESTONES = {
    "england-adoption-return": frozenset({
        "entered_care", "first_review", "second_review", "lac_review", "agency_decision",
        "placement_order", "matched", "placed_with_adopters", "fostered_by_adopters",
        "adoption_order"}),
    "england-looked-after": frozenset({"entered_care", "first_review", "second_review",
                                       "lac_review"}),
}
TIMELINES = ("england-adoption-return", "england-looked-after")
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE\n"
REVIEWS = "CHILD,DOB,REVIEW,REVIEW_CODE\n"
AD1 = "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n"
PLACED = "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"


def episode(child: str, decom: str, rne: str, ls: str, place: str, dec: str = "",
            rec: str = "") -> str:
    return f"{child},{decom},{rne},{ls},N1,{place},PR1,{dec},{rec},\n"


def plan_of(*files: tuple[str, str], team: str | None = "north",
            worker: str | None = "sw-1", allocations: str | None = None) -> Plan:
    reader = ReturnReader(TODAY)
    for name, text in files:
        reader.add(name, text.encode())
    children = reader.children()
    allocated, problems = ({}, []) if allocations is None else read_allocations(
        "alloc.csv", allocations.encode(), {"sw-1", "sw-2"})
    plan = plan_import(children, reader.problems, allocations=allocated,
                       allocation_problems=problems, team=team, social_worker=worker,
                       timelines=TIMELINES, milestones=MILESTONES)
    plan.warnings[:0] = reader.warnings()
    return plan


def dates_of(plan: Plan) -> dict[str, dict[str, object]]:
    """Per case: its timeline, closed_on and each milestone's dates (kind shown when n/a)."""
    cases: dict[str, dict[str, object]] = {}
    for case in plan.cases:
        seen: dict[str, object] = {"timeline": case.timeline,
                                   "closed_on": case.period.closed_on}
        for dated in case.dates:
            value = dated.on.isoformat() + ("" if dated.kind == "done" else " n/a")
            if dated.milestone == "lac_review":
                seen.setdefault("lac_review", []).append(value)  # type: ignore[union-attr]
            else:
                seen[dated.milestone] = value
        cases[case.period.case_ref] = seen
    return cases


class TestDates:
    """dd/mm/yyyy and yyyy-mm-dd; a two-digit year 00-68 is 20yy and 69-99 is 19yy."""

    @pytest.mark.parametrize(("text", "expected"), [
        ("01/04/2019", (date(2019, 4, 1), False)),
        ("1/4/2019", (date(2019, 4, 1), False)),
        ("2019-04-01", (date(2019, 4, 1), False)),
        ("01/04/19", (date(2019, 4, 1), True)),
        ("31/12/68", (date(2068, 12, 31), True)),
        ("01/01/69", (date(1969, 1, 1), True)),
    ])
    def test_read(self, text: str, expected: tuple[date, bool]) -> None:
        assert read_date(text) == expected

    @pytest.mark.parametrize(("text", "message"), [
        ("31/02/2020", "'31/02/2020' is not a real date"),
        ("2020/01/01", "'2020/01/01' is not a date (dd/mm/yyyy or yyyy-mm-dd)"),
        ("01-04-2019", "'01-04-2019' is not a date (dd/mm/yyyy or yyyy-mm-dd)"),
    ])
    def test_refused(self, text: str, message: str) -> None:
        with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")
                           .replace(")", r"\)") + "$"):
            read_date(text)

    def test_two_digit_years_one_warning_per_table_and_column(self) -> None:
        plan = plan_of(("e.csv", EPISODES + episode("7", "01/04/19", "S", "V2", "U1",
                                                    "05/05/19", "E13")
                        + episode("8", "02/04/19", "S", "V2", "U1", "06/05/2019", "E13")),
                       ("h.csv", HEADER + "7,1,03/03/15,WBRI,,,\n"))
        assert plan.warnings == [
            ("Episodes DEC: 1 date had a two-digit year, read 00-68 as 20yy and 69-99 as 19yy; "
            "check them"),
            ("Episodes DECOM: 2 dates had a two-digit year, read 00-68 as 20yy and 69-99 as "
            "19yy; check them"),
            ("Header DOB: 1 date had a two-digit year, read 00-68 as 20yy and 69-99 as 19yy; "
            "check them")]
        assert {case.period.case_ref: (case.period.closed_on, case.period.date_of_birth)
                for case in plan.cases} == {"7-20190401": (date(2019, 5, 5), date(2015, 3, 3)),
                                            "8-20190402": (date(2019, 5, 6), None)}

    def test_two_digit_year_counted_even_when_the_date_is_then_bad(self) -> None:
        """DOB 01/01/68 is read as 2068-01-01 (00-68: 20yy), after today (2026-11-23): a bad
        row leaving child 7 out, and still one of the 2 two-digit DOBs the warning counts (the
        other, 01/01/69, read as 1969-01-01)."""
        plan = plan_of(("e.csv", EPISODES + episode("7", "01/04/2019", "S", "V2", "U1")
                        + episode("8", "01/04/2019", "S", "V2", "U1")),
                       ("h.csv", HEADER + "7,1,01/01/68,WBRI,,,\n8,1,01/01/69,WBRI,,,\n"))
        assert plan.warnings[0] == ("Header DOB: 2 dates had a two-digit year, read 00-68 as "
                                    "20yy and 69-99 as 19yy; check them")
        assert [str(problem) for problem in plan.problems] == [
            ("h.csv:2: DOB: 01/01/68 (read as 2068-01-01) is in the future (today is "
             "2026-11-23); child 7 left out")]
        assert [(case.period.case_ref, case.period.date_of_birth) for case in plan.cases] == [
            ("8-20190401", date(1969, 1, 1))]


class TestTables:
    """A table is recognised by its header (any case, any order, extra columns ignored), never
    by its file name; any other CSV is listed as ignored."""

    def test_recognised_by_header(self) -> None:
        assert recognise(["child", "Review", "x"]) == ["Reviews"]
        assert recognise(["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"]) == []
        assert recognise(["DEC", "REC", "CHILD", "LS", "PLACE", "RNE", "DECOM"]) == ["Episodes"]

    def test_other_files_ignored(self) -> None:
        reader = ReturnReader(TODAY)
        reader.add("episodes.csv", b"CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\n1,01/01/2015,P1,,\n")
        reader.add("prevperm.csv", (b"child,decom,rne,ls,place,dec,rec\n"
                                    b"1,01/01/2020,S,C2,U1,,\n"))
        reader.add("empty.csv", b"")
        assert reader.ignored == [
            ("episodes.csv (its header fits none of Header, Episodes, Reviews, AD1, "
            "PlacedAdoption)"), "empty.csv (empty)"]
        assert reader.read == [("prevperm.csv", ["Episodes"], 1)]
        assert [c.child for c in reader.children()] == ["1"]

    def test_blank_lines_above_the_header(self) -> None:
        """An export with a blank line (and a line of empty cells) above its header is still
        recognised by that header; line numbers stay the file's: the bad REVIEW is line 4.
        A file of blank lines only is empty."""
        reader = ReturnReader(TODAY)
        reader.add("r.csv", b"\r\n,,\r\nCHILD,REVIEW\r\n7,31/04/2020\r\n")
        reader.add("blank.csv", b"\n,,\n")
        assert reader.read == [("r.csv", ["Reviews"], 1)]
        assert reader.ignored == ["blank.csv (empty)"]
        assert [str(problem) for problem in reader.problems] == [
            "r.csv:4: REVIEW: '31/04/2020' is not a real date; child 7 left out"]

    def test_not_utf8_refused(self) -> None:
        reader = ReturnReader(TODAY)
        with pytest.raises(ImportRefused) as refused:
            reader.add("e.csv", EPISODES.encode() + "9,01/01/2020,S,C2,N1,U1,,,,Ém\n"
                       .encode("latin-1"))
        assert refused.value.problems == [
            ('e.csv: is not UTF-8 text; save it as "CSV UTF-8" and import it again; nothing '
            "imported")]

    def test_unreadable_csv_refused(self) -> None:
        reader = ReturnReader(TODAY)
        with pytest.raises(ImportRefused) as refused:
            reader.add("e.csv", EPISODES.encode() + b'1,"' + b"x" * 140_000 + b'"\n')
        assert refused.value.problems == [
            ("e.csv: is not a readable CSV file (field larger than field limit (131072)); "
            "nothing imported")]

    def test_unknown_codes_are_warnings_with_counts(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("1", "01/01/2020", "S", "Q1", "U1", "01/02/2020", "X1")
                        + episode("1", "01/02/2020", "P", "C2", "ZZ", "01/03/2020", "E99")
                        + episode("2", "01/01/2020", "S", "Q1", "ZZ")))
        assert plan.warnings == [
            "Episodes LS: codes outside the published list, read as given: 'Q1' (2 rows)",
            "Episodes PLACE: codes outside the published list, read as given: 'ZZ' (2 rows)",
            "Episodes REC: codes outside the published list, read as given: 'E99' (1 row)"]
        assert plan.children == 2 and plan.problems == []


class TestPeriods:
    """A period starts at the first episode, at RNE S and after a REC other than X1; it ends at
    the DEC of an episode whose REC is not X1. One case per period, CHILD-YYYYMMDD."""

    def test_re_entry_to_care(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("101", "01/04/2019", "S", "V2", "U1", "10/09/2019", "E13")
                        + episode("101", "05/02/2020", "S", "C1", "U1", "01/06/2020", "X1")
                        + episode("101", "01/06/2020", "L", "C2", "U1")),
                       ("r.csv", REVIEWS + "".join(f"101,01/01/2015,{day},PN1\n" for day in (
                           "20/04/2019", "01/08/2019", "01/03/2020", "15/08/2020",
                           "10/02/2021", "01/08/2021"))))
        assert dates_of(plan) == {
            "101-20190401": {"timeline": "england-looked-after",
                             "closed_on": date(2019, 9, 10), "entered_care": "2019-04-01",
                             "first_review": "2019-04-20", "second_review": "2019-08-01"},
            "101-20200205": {"timeline": "england-looked-after", "closed_on": None,
                             "entered_care": "2020-02-05", "first_review": "2020-03-01",
                             "second_review": "2020-08-15",
                             "lac_review": ["2021-02-10", "2021-08-01"]}}

    def test_rne_s_starts_a_period_even_after_x1(self) -> None:
        reader = ReturnReader(TODAY)
        reader.add("e.csv", (EPISODES
                             + episode("1", "01/01/2020", "S", "C2", "U1", "01/02/2020", "X1")
                             + episode("1", "01/03/2020", "S", "C2", "U1")).encode())
        periods = periods_of_care(reader.children()[0].episodes)
        assert [(p.start, p.end) for p in periods] == [(date(2020, 1, 1), None),
                                                       (date(2020, 3, 1), None)]


class TestAdoptionDates:
    """Every date of the contract's table, on hand-made journeys."""

    def test_disrupted_adoptive_placement_then_adoption(self) -> None:
        """The run that holds the adoption episode is the one recorded: the disrupted first
        placement (A4, 01/07/2019, ended 20/10/2019) is not."""
        plan = plan_of(
            ("e.csv", EPISODES
             + episode("102", "01/01/2018", "S", "C2", "U1", "10/03/2019", "X1")
             + episode("102", "10/03/2019", "L", "E1", "U1", "01/07/2019", "X1")
             + episode("102", "01/07/2019", "P", "E1", "A4", "20/10/2019", "X1")
             + episode("102", "20/10/2019", "P", "E1", "U1", "01/05/2020", "X1")
             + episode("102", "01/05/2020", "P", "E1", "A4", "15/01/2021", "E11")),
            ("p.csv", PLACED + "102,01/01/2017,01/02/2019,,\n"),
            ("a.csv", AD1 + "102,01/01/2017,01/02/2019,20/04/2020,0,2,MF,L0\n"))
        assert dates_of(plan) == {"102-20180101": {
            "timeline": "england-adoption-return", "closed_on": date(2021, 1, 15),
            "entered_care": "2018-01-01", "agency_decision": "2019-02-01",
            "placement_order": "2019-03-10", "matched": "2020-04-20",
            "placed_with_adopters": "2020-05-01", "adoption_order": "2021-01-15"}}

    def test_disrupted_placement_still_in_care_keeps_its_date(self) -> None:
        """No reversal, no later placement: the disrupted placement's date stays recorded
        (docs/ssda903.md says why)."""
        plan = plan_of(("e.csv", EPISODES
                        + episode("103", "01/01/2018", "S", "E1", "U1", "01/07/2019", "X1")
                        + episode("103", "01/07/2019", "P", "E1", "A4", "20/10/2019", "X1")
                        + episode("103", "20/10/2019", "P", "E1", "U1")))
        assert dates_of(plan)["103-20180101"]["placed_with_adopters"] == "2019-07-01"

    def test_reversed_decision_makes_placement_not_applicable(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("103", "01/01/2018", "S", "E1", "U1", "01/07/2019", "X1")
                        + episode("103", "01/07/2019", "P", "E1", "A4", "20/10/2019", "X1")
                        + episode("103", "20/10/2019", "P", "E1", "U1")),
                       ("p.csv", PLACED + "103,,01/02/2018,15/12/2019,RD1\n"))
        assert dates_of(plan) == {"103-20180101": {
            "timeline": "england-adoption-return", "closed_on": None,
            "entered_care": "2018-01-01", "agency_decision": "2018-02-01",
            "placement_order": "2018-01-01", "placed_with_adopters": "2019-12-15 n/a"}}

    def test_placed_again_after_a_reversal(self) -> None:
        """A later decision stands; the earlier, reversed one is not the latest."""
        plan = plan_of(("e.csv", EPISODES
                        + episode("103", "01/01/2018", "S", "E1", "U1", "01/07/2019", "X1")
                        + episode("103", "01/07/2019", "P", "E1", "A4")),
                       ("p.csv", PLACED + "103,,01/02/2018,15/06/2018,RD1\n"
                                          "103,,01/03/2019,,\n"))
        found = dates_of(plan)["103-20180101"]
        assert (found["agency_decision"], found["placed_with_adopters"]) == (
            "2019-03-01", "2019-07-01")

    def test_match_before_the_order(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("104", "01/09/2019", "S", "C1", "U1", "01/06/2020", "X1")
                        + episode("104", "01/06/2020", "L", "E1", "U1", "01/07/2020", "X1")
                        + episode("104", "01/07/2020", "P", "E1", "A4", "01/03/2021", "E12")),
                       ("a.csv", AD1 + "104,,15/04/2020,01/05/2020,0,1,F1,L0\n"))
        assert dates_of(plan) == {"104-20190901": {
            "timeline": "england-adoption-return", "closed_on": date(2021, 3, 1),
            "entered_care": "2019-09-01", "placement_order": "2020-06-01",
            "matched": "2020-05-01", "placed_with_adopters": "2020-07-01",
            "adoption_order": "2021-03-01"}}

    RETURN_105 = (EPISODES
                  + episode("105", "01/02/2019", "S", "C1", "U3", "01/03/2019", "X1")
                  + episode("105", "01/03/2019", "P", "C1", "U4", "01/10/2019", "X1")
                  + episode("105", "01/10/2019", "L", "E1", "U4", "15/11/2019", "X1")
                  + episode("105", "15/11/2019", "T", "E1", "A5", "01/06/2020", "E11"))

    @pytest.mark.parametrize("ad1", [
        "105,,01/09/2019,01/11/2019,1,2,MF,L0\n",
        "105,,01/09/2019,01/11/2019,,2,MF,L0\n",  # blank FOSTER_CARE: the run's A5 says so
    ])
    def test_adopted_by_foster_carers_after_foster_to_adopt(self, ad1: str) -> None:
        """Walking back from 15/11/2019 (A5, RNE T) over 01/10/2019 (U4, RNE L) to 01/03/2019,
        entered with RNE P: the day the child moved in with the carers who adopted."""
        plan = plan_of(("e.csv", self.RETURN_105), ("a.csv", AD1 + ad1))
        assert dates_of(plan) == {"105-20190201": {
            "timeline": "england-adoption-return", "closed_on": date(2020, 6, 1),
            "entered_care": "2019-02-01", "placement_order": "2019-10-01",
            "matched": "2019-11-01", "placed_with_adopters": "2019-11-15",
            "fostered_by_adopters": "2019-03-01", "adoption_order": "2020-06-01"}}

    def test_foster_care_0_means_no_fostered_date(self) -> None:
        plan = plan_of(("e.csv", self.RETURN_105),
                       ("a.csv", AD1 + "105,,01/09/2019,01/11/2019,0,2,MF,L0\n"))
        assert "fostered_by_adopters" not in dates_of(plan)["105-20190201"]

    def test_special_guardianship_order(self) -> None:
        """Adoption evidence (a placement order, a decision) puts it on the adoption timeline;
        it ends with an SGO (E45): no adoption order, the reversed decision makes placement
        n/a."""
        plan = plan_of(("e.csv", EPISODES
                        + episode("106", "01/01/2019", "S", "C2", "U1", "01/05/2019", "X1")
                        + episode("106", "01/05/2019", "L", "E1", "U1", "01/02/2020", "E45")),
                       ("p.csv", PLACED + "106,,01/04/2019,15/01/2020,RD2\n"))
        assert dates_of(plan) == {"106-20190101": {
            "timeline": "england-adoption-return", "closed_on": date(2020, 2, 1),
            "entered_care": "2019-01-01", "agency_decision": "2019-04-01",
            "placement_order": "2019-05-01", "placed_with_adopters": "2020-01-15 n/a"}}

    def test_adopted_from_a_placement_never_coded_adoptive(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("107", "01/01/2019", "S", "E1", "U1", "01/02/2021", "E11")))
        assert dates_of(plan) == {"107-20190101": {
            "timeline": "england-adoption-return", "closed_on": date(2021, 2, 1),
            "entered_care": "2019-01-01", "placement_order": "2019-01-01",
            "adoption_order": "2021-02-01"}}
        assert plan.warnings == [
            ("1 case ended in adoption from a placement never coded A3-A6, so no "
            "placed_with_adopters is recorded and the scorecard's A1, A2, A3 and A10 leave it "
            "out: 107-20190101")]

    def test_dates_outside_the_period_ignored(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("108", "01/01/2020", "S", "C2", "U1", "01/06/2020", "E13")),
                       ("r.csv", REVIEWS + "108,,15/12/2019,PN1\n108,,20/01/2020,PN1\n"
                                           "108,,02/06/2020,PN1\n"))
        assert dates_of(plan)["108-20200101"] == {
            "timeline": "england-looked-after", "closed_on": date(2020, 6, 1),
            "entered_care": "2020-01-01", "first_review": "2020-01-20"}


class TestOverlappingReturns:
    """Rows of several returns merge: an episode by (CHILD, DECOM), the row with a DEC standing,
    else the one read last; a PlacedAdoption row by (CHILD, DATE_PLACED) the same way."""

    OPEN = EPISODES + episode("9", "01/01/2020", "S", "C2", "U1")
    CLOSED = EPISODES + episode("9", "01/01/2020", "S", "C2", "U1", "01/03/2021", "E13")

    @pytest.mark.parametrize("order", [("2020.csv", "2021.csv"), ("2021.csv", "2020.csv")])
    def test_the_row_with_a_dec_stands(self, order: tuple[str, str]) -> None:
        texts = {"2020.csv": self.OPEN, "2021.csv": self.CLOSED}
        plan = plan_of(*((name, texts[name]) for name in order))
        assert [(c.period.case_ref, c.period.closed_on) for c in plan.cases] == [
            ("9-20200101", date(2021, 3, 1))]

    def test_both_with_a_dec_the_last_read_stands(self) -> None:
        corrected = EPISODES + episode("9", "01/01/2020", "S", "C2", "U1", "01/03/2021", "X1")
        plan = plan_of(("a.csv", self.CLOSED), ("b.csv", corrected))
        assert [c.period.closed_on for c in plan.cases] == [None]

    def test_ceased_decision_stands(self) -> None:
        episodes = EPISODES + episode("9", "01/01/2020", "S", "E1", "U1")
        plan = plan_of(("e.csv", episodes), ("p2.csv", PLACED + "9,,01/02/2020,01/06/2020,RD1\n"),
                       ("p1.csv", PLACED + "9,,01/02/2020,,\n"))
        assert dates_of(plan)["9-20200101"]["placed_with_adopters"] == "2020-06-01 n/a"

    @pytest.mark.parametrize(("first", "last", "fostered"), [
        ("0", "1", "2019-03-01"), ("1", "0", None)])
    def test_ad1_rows_with_the_same_match_the_last_read_stands(
            self, first: str, last: str, fostered: str | None) -> None:
        """Two extracts hold child 105's AD1 row with the same DATE_MATCH (01/11/2019) but a
        corrected FOSTER_CARE: the row read last stands, every time (not whichever a set
        happened to hold first). With 1 the walk back from 15/11/2019 reaches 01/03/2019;
        with 0 the child was not adopted by its foster carers: no fostered_by_adopters."""
        plan = plan_of(("e.csv", TestAdoptionDates.RETURN_105),
                       ("a.csv", AD1 + f"105,,01/09/2019,01/11/2019,{first},2,MF,L0\n"),
                       ("b.csv", AD1 + f"105,,01/09/2019,01/11/2019,{last},2,MF,L0\n"))
        dates = dates_of(plan)["105-20190201"]
        assert dates["matched"] == "2019-11-01"
        assert dates.get("fostered_by_adopters") == fostered


class TestBadRows:
    """Every bad row named by file, line and column; its child left out, the others imported."""

    def test_every_bad_row(self) -> None:
        plan = plan_of(("e.csv", EPISODES
                        + episode("1", "", "S", "C2", "U1")
                        + episode("2", "31/02/2020", "S", "C2", "U1")
                        + episode("3", "01/03/2020", "S", "C2", "U1", "01/02/2020", "E13")
                        + episode("4", "01/01/2020", "S", "C2", "U1", "01/03/2020", "X1")
                        + episode("4", "01/02/2020", "P", "C2", "U2")
                        + episode("5", "01/01/2020", "S", "C2", "U1")
                        + episode("5", "01/02/2020", "P", "C2", "U2")
                        + episode("", "01/01/2020", "S", "C2", "U1")
                        + episode("6", "01/01/2020", "S", "C2", "U1", "01/01/2030", "E13")
                        + episode("7", "01/01/2020", "S", "C2", "U1")
                        + episode("8", "01/01/2020", "S", "C2", "U1")),
                       ("r.csv", REVIEWS + "7,,2020-13-01,PN1\n"),
                       allocations="CHILD,team,social_worker\n8,south,nobody\n"
                                   "99,south,nobody\n")
        assert [str(problem) for problem in plan.problems] == [
            "e.csv:2: DECOM: is blank; a date is required; child 1 left out",
            "e.csv:3: DECOM: '31/02/2020' is not a real date; child 2 left out",
            "e.csv:4: DEC: 2020-02-01 is before DECOM 2020-03-01; child 3 left out",
            "e.csv:9: CHILD: is blank",
            "e.csv:10: DEC: 01/01/2030 is in the future (today is 2026-11-23); child 6 left out",
            "r.csv:2: REVIEW: '2020-13-01' is not a real date; child 7 left out",
            ("e.csv:6: DECOM: 2020-02-01 is before the end of the episode before it "
            "(2020-03-01, e.csv line 5): episodes overlap; child 4 left out"),
            ("e.csv:7: DEC: is blank (the episode is open) but a later episode starts on "
            "2020-02-01 (e.csv line 8); child 5 left out"),
            ("alloc.csv:2: social_worker: 'nobody' is not a known lead_id; import the leads "
            "first; child 8 left out"),
            ("alloc.csv:3: social_worker: 'nobody' is not a known lead_id; import the leads "
            "first")]
        assert plan.left_out == ["1", "2", "3", "4", "5", "6", "7", "8"]
        assert plan.children == 0 and plan.cases == []

    def test_no_team_or_social_worker(self) -> None:
        plan = plan_of(("e.csv", EPISODES + episode("1", "01/01/2020", "S", "C2", "U1")
                        + episode("2", "01/01/2020", "S", "C2", "U1")),
                       team=None, worker=None,
                       allocations="child,TEAM,Social_Worker\n2,south,sw-2\n")
        assert [str(problem) for problem in plan.problems] == [
            ("e.csv:2: CHILD: 1 has no team and social worker: not in the allocations file (or "
            "a blank cell there) and no --team/--social-worker given; child 1 left out")]
        assert [(c.period.case_ref, c.team, c.social_worker) for c in plan.cases] == [
            ("2-20200101", "south", "sw-2")]

    def test_allocation_blank_cell_takes_the_default(self) -> None:
        plan = plan_of(("e.csv", EPISODES + episode("2", "01/01/2020", "S", "C2", "U1")),
                       allocations="CHILD,team,social_worker\n2,,sw-2\n")
        assert [(c.team, c.social_worker) for c in plan.cases] == [("north", "sw-2")]

    def test_allocations_file_without_its_columns(self) -> None:
        with pytest.raises(ImportRefused) as refused:
            read_allocations("alloc.csv", b"CHILD,team\n1,north\n", set())
        assert refused.value.problems == [
            ("alloc.csv:1: missing column social_worker; an allocations file has CHILD, team, "
            "social_worker; nothing imported")]
