"""`permanence import ssda903` end to end through the real command line, on SQLite and
PostgreSQL: what the store holds afterwards, re-imports that change nothing, a date derived
differently, a route change, bad rows left out and `--strict`. Dates are worked out by hand from
the rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import StoreTemplates
from sqlalchemy import text
from typer.testing import CliRunner, Result

from permanence.cli import app
from permanence.store import make_engine

runner = CliRunner()

LEADS = """\
lead_id,name,role,team,notify
sw-1,Sam Test,social_worker,north,json://127.0.0.1:9/sw-1
sw-2,Alex Test,social_worker,south,json://127.0.0.1:9/sw-2
"""
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE\n"
REVIEWS = "CHILD,DOB,REVIEW,REVIEW_CODE\n"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
AD1 = "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n"
PLACED = "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n"

# Return 2019-20: child 201 looked after from 01/05/2019, still in care at 31/03/2020; child 202
# adopted by foster carers.
EPISODES_2020 = EPISODES + """\
201,01/05/2019,S,C1,N1,U1,PR1,01/09/2019,X1,
201,01/09/2019,L,C2,N1,U1,PR1,,,
202,01/02/2019,S,C1,N1,U3,PR1,01/03/2019,X1,
202,01/03/2019,P,C1,N1,U4,PR1,01/10/2019,X1,
202,01/10/2019,L,E1,N1,U4,PR1,15/11/2019,X1,
202,15/11/2019,T,E1,N1,A5,PR1,01/03/2020,E11,
"""
REVIEWS_2020 = REVIEWS + "201,,20/05/2019,PN1\n201,,01/09/2019,PN1\n202,,15/02/2019,PN1\n"


class Store:
    """A store on one backend, the leads imported, and a way to run commands on it."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder = url, folder

    def run(self, *args: str) -> Result:
        return runner.invoke(app, ["--db", self.url, *args], catch_exceptions=False)

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result

    def file(self, name: str, content: str) -> str:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return str(path)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return [tuple(str(value) if isinstance(value, date) else value
                              for value in row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()

    def cases(self) -> list[tuple[Any, ...]]:
        return self.query("SELECT case_ref, timeline, team, social_worker, looked_after_on, "
                          "closed_on, date_of_birth FROM \"case\" ORDER BY case_ref")

    def standing(self, case_ref: str) -> dict[str, tuple[str, str]]:
        return {milestone: (str(on), kind) for milestone, on, kind in self.query(
            "SELECT milestone, occurred_on, kind FROM milestone_completion WHERE case_ref = "
            f"'{case_ref}'")}

    def everything(self) -> list[list[tuple[Any, ...]]]:
        """Every row an import may write, timestamps included."""
        return [self.query(f"SELECT * FROM {table} ORDER BY 1, 2") for table in (
            '"case"', "milestone_completion", "milestone_event", "route_change")]


@pytest.fixture
def store(db_url: str, tmp_path: Path, store_templates: StoreTemplates) -> Store:
    """A store with LEADS imported: a copy of the session's, made once by the commands."""
    def make(url: str) -> None:
        made = Store(url, tmp_path)
        made.ok("init")
        made.ok("import", "leads", made.file("leads.csv", LEADS))

    return Store(store_templates.copy(db_url, "ssda903_leads", make), tmp_path)



class TestImport:
    """A return in a folder: tables found by header, one case per period, its dates stored."""

    def test_folder(self, store: Store) -> None:
        """Every CSV below the folder, by path, passing over Excel's lock files and hidden
        files; anything not CSV is not read at all."""
        store.file("return/2020/ep.csv", EPISODES_2020)
        store.file("return/2020/rev.csv", REVIEWS_2020)
        store.file("return/2020/header.csv", HEADER + "201,1,03/03/2015,WBRI,,,\n")
        store.file("return/2020/ad1.csv", AD1 + "202,,01/10/2019,01/11/2019,1,2,MF,L0\n")
        store.file("return/2020/prevperm.csv", "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\n")
        store.file("return/notes.txt", "not a CSV")
        # Excel's lock file beside a CSV it has open (not text), and a hidden file: passed over.
        (store.folder / "return" / "2020" / "~$ep.csv").write_bytes(b"\x0bJo Bloggs\xff\x00")
        store.file("return/.ep.csv", EPISODES_2020)
        result = store.ok("import", "ssda903", str(store.folder / "return"), "--team", "north",
                          "--social-worker", "sw-1")
        folder = store.folder / "return" / "2020"
        assert result.stdout.splitlines() == [
            f"Read {folder / 'ad1.csv'} as AD1 (1 row).",
            f"Read {folder / 'ep.csv'} as Episodes (6 rows).",
            f"Read {folder / 'header.csv'} as Header (1 row).",
            f"Read {folder / 'rev.csv'} as Reviews (3 rows).",
            (f"Ignored {folder / 'prevperm.csv'} (its header fits none of Header, Episodes, "
            "Reviews, AD1, PlacedAdoption)."),
            ("Imported 2 children (2 cases: 2 new, 0 changed, 0 unchanged; 10 dates recorded); "
            "0 children left out.")]
        assert result.stderr == ""
        assert store.cases() == [
            ("201-20190501", "england-looked-after", "north", "sw-1", "2019-05-01", None,
             "2015-03-03"),
            ("202-20190201", "england-adoption-return", "north", "sw-1", "2019-02-01",
             "2020-03-01", None)]
        assert store.standing("201-20190501") == {
            "entered_care": ("2019-05-01", "done"), "first_review": ("2019-05-20", "done"),
            "second_review": ("2019-09-01", "done")}
        assert store.standing("202-20190201") == {
            "entered_care": ("2019-02-01", "done"), "first_review": ("2019-02-15", "done"),
            "placement_order": ("2019-10-01", "done"), "matched": ("2019-11-01", "done"),
            "placed_with_adopters": ("2019-11-15", "done"),
            "fostered_by_adopters": ("2019-03-01", "done"),
            "adoption_order": ("2020-03-01", "done")}

    def test_allocations(self, store: Store) -> None:
        episodes = store.file("ep.csv", EPISODES_2020)
        allocations = store.file("alloc.csv", "CHILD,team,social_worker\n201,south,sw-2\n")
        store.ok("import", "ssda903", episodes, "--allocations", allocations, "--team", "north",
                 "--social-worker", "sw-1")
        assert [row[:4] for row in store.cases()] == [
            ("201-20190501", "england-looked-after", "south", "sw-2"),
            ("202-20190201", "england-adoption-return", "north", "sw-1")]


class TestWarnings:
    """Two-digit years and codes outside the published lists are warnings, never refusals."""

    def test_warned_and_imported(self, store: Store) -> None:
        episodes = store.file("ep.csv", EPISODES + "301,01/05/19,S,C9,N1,U1,PR1,01/09/19,E13,\n"
                              "302,01/05/2019,S,C1,N1,Q7,PR1,,,\n")
        result = store.ok("import", "ssda903", episodes, "--team", "north",
                          "--social-worker", "sw-1")
        assert result.stderr.splitlines() == [
            ("warning: Episodes DEC: 1 date had a two-digit year, read 00-68 as 20yy and 69-99 "
             "as 19yy; check them"),
            ("warning: Episodes DECOM: 1 date had a two-digit year, read 00-68 as 20yy and 69-99 "
             "as 19yy; check them"),
            "warning: Episodes LS: codes outside the published list, read as given: 'C9' (1 row)",
            ("warning: Episodes PLACE: codes outside the published list, read as given: 'Q7' (1 "
             "row)")]
        assert [row[0] for row in store.cases()] == ["301-20190501", "302-20190501"]


class TestReimport:
    """The same return again changes nothing; a later return that derives a date differently
    replaces it (the earlier stays in the history); a case that moves timeline changes route."""

    def test_same_return_changes_nothing(self, store: Store) -> None:
        files = [store.file("ep.csv", EPISODES_2020), store.file("rev.csv", REVIEWS_2020)]
        store.ok("import", "ssda903", *files, "--team", "north", "--social-worker", "sw-1")
        before = store.everything()
        result = store.ok("import", "ssda903", *files, "--team", "north",
                          "--social-worker", "sw-1")
        assert result.stdout.splitlines()[-1] == (
            "Imported 2 children (2 cases: 0 new, 0 changed, 2 unchanged; 0 dates recorded); "
            "0 children left out.")
        assert store.everything() == before

    def test_later_return_replaces_a_date_and_changes_route(self, store: Store) -> None:
        first = [store.file("y1/ep.csv", EPISODES_2020), store.file("y1/rev.csv", REVIEWS_2020)]
        store.ok("import", "ssda903", *first, "--team", "north", "--social-worker", "sw-1")
        # 2020-21: 201 gets a placement order (adoption evidence: a route change), and the first
        # review is corrected from 20/05/2019 to 18/05/2019.
        later = [store.file("y2/ep.csv", EPISODES + "201,01/09/2019,L,C2,N1,U1,PR1,01/06/2020,X1,\n"
                            "201,01/06/2020,L,E1,N1,U1,PR1,,,\n"),
                 store.file("y2/rev.csv", REVIEWS + "201,,18/05/2019,PN1\n201,,01/09/2019,PN1\n"
                            "201,,01/03/2020,PN1\n")]
        result = store.ok("import", "ssda903", *first, *later, "--team", "north",
                          "--social-worker", "sw-1")
        assert ("201-20190501: route changed from england-looked-after to "
                "england-adoption-return; its history keeps the old route and every date "
                "recorded.") in result.stdout.splitlines()
        # 201: the 20/05/2019 review and the corrected 18/05/2019 both count as first reviews
        # read (a return never deletes a row): the earliest, 18/05, is the first review; the
        # second is 20/05/2019 now, 01/09/2019 and 01/03/2020 occurrences of lac_review.
        assert store.standing("201-20190501") == {
            "entered_care": ("2019-05-01", "done"), "first_review": ("2019-05-18", "done"),
            "second_review": ("2019-05-20", "done"), "lac_review": ("2020-03-01", "done"),
            "placement_order": ("2020-06-01", "done")}
        assert store.query("SELECT occurred_on FROM milestone_event WHERE case_ref = "
                           "'201-20190501' AND milestone = 'first_review' ORDER BY id") == [
            ("2019-05-20",), ("2019-05-18",)]
        assert store.query("SELECT old_timeline, new_timeline FROM route_change") == [
            ("england-looked-after", "england-adoption-return")]


class TestBadRows:
    """A bad row leaves its child out (named by file, line and column), the rest import;
    `--strict` refuses the whole import."""

    RETURN = EPISODES_2020 + "203,01/05/2019,S,C1,N1,U1,PR1,31/04/2020,E13,\n"

    def test_child_left_out(self, store: Store) -> None:
        episodes = store.file("ep.csv", self.RETURN)
        result = store.ok("import", "ssda903", episodes, "--team", "north",
                          "--social-worker", "sw-1")
        assert result.stderr.splitlines() == [
            f"{episodes}:8: DEC: '31/04/2020' is not a real date; child 203 left out"]
        assert result.stdout.splitlines()[-1] == (
            "Imported 2 children (2 cases: 2 new, 0 changed, 0 unchanged; 6 dates recorded); 1 "
            "child left out.")
        assert [row[0] for row in store.cases()] == ["201-20190501", "202-20190201"]

    def test_strict_refuses_everything(self, store: Store) -> None:
        episodes = store.file("ep.csv", self.RETURN)
        result = store.run("import", "ssda903", episodes, "--team", "north",
                           "--social-worker", "sw-1", "--strict")
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"{episodes}:8: DEC: '31/04/2020' is not a real date; child 203 left out",
            "--strict: nothing imported; 1 bad row to fix"]
        assert store.cases() == []

    def test_no_team_or_social_worker(self, store: Store) -> None:
        episodes = store.file("ep.csv", EPISODES_2020)
        allocations = store.file("alloc.csv", "CHILD,team,social_worker\n201,south,sw-2\n")
        result = store.ok("import", "ssda903", episodes, "--team", "north", "--allocations",
                          allocations)
        assert result.stderr.splitlines() == [
            (f"{episodes}:4: CHILD: 202 has no social worker: not in the allocations file (or a "
             "blank cell there) and no --team/--social-worker given; child 202 left out")]
        assert [row[:4] for row in store.cases()] == [
            ("201-20190501", "england-looked-after", "south", "sw-2")]

    @pytest.mark.parametrize(("options", "message"), [
        ((), ("give --social-worker: without --allocations every child takes the team and social "
             "worker given (with --allocations, the children it does not name)")),
        (("--social-worker", "nobody"),
         "--social-worker 'nobody' is not a known lead_id; import the leads first"),
        (("--social-worker", "sw-1", "--timelines", "england-adoption"),
         ("--timelines 'england-adoption' must name two timelines, ADOPTION,OTHER (the default "
         "is england-adoption-return,england-looked-after)")),
        (("--social-worker", "sw-1", "--timelines", "england-adoption,nowhere"),
         ("--timelines: unknown timeline nowhere (known: england-adoption, "
         "england-adoption-return, england-looked-after, scotland-adoption, "
         "scotland-permanence-order)")),
    ])
    def test_refused_options(self, store: Store, options: tuple[str, ...], message: str) -> None:
        episodes = store.file("ep.csv", EPISODES_2020)
        result = store.run("import", "ssda903", episodes, "--team", "north", *options)
        assert (result.exit_code, result.stderr) == (1, message + "\n")
        assert store.cases() == []

    def test_not_utf8_refused(self, store: Store) -> None:
        path = store.folder / "ep.csv"
        path.write_bytes(EPISODES.encode() + "201,01/05/2019,S,C1,N1,U1,PR1,,,Ém\n"
                         .encode("latin-1"))
        result = store.run("import", "ssda903", str(path), "--team", "north",
                           "--social-worker", "sw-1")
        assert (result.exit_code, result.stderr) == (1, (
            f'{path}: is not UTF-8 text; save it as "CSV UTF-8" and import it again; nothing '
            "imported\n"))
