"""The HTML report on the sample data: what it says, that it fetches nothing, and that it
opens cleanly in a real headless Chromium (Debian's `chromium`, installed by .ci/run).

The browser is driven over the Chrome DevTools protocol: every request the page makes, every
console message and every uncaught error is recorded while it loads, then a screenshot is
taken. Set PERMANENCE_SCREENSHOTS=DIR to keep the screenshots for a look. Without Chromium the
browser tests skip on a developer's machine and fail under CI (CI=true).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import load_sample, text_of
from typer.testing import CliRunner

from permanence.cli import app
from permanence.evaluate import LeadDirectory, Status, evaluate
from permanence.measures import MonthMeasure, measure
from permanence.report import write_report
from permanence.report.charts import chart_signals, run_chart_svg
from permanence.report.pages import pager_links
from permanence.report.text import day_text, slug
from permanence.timelines import Timeline

AS_OF = date(2026, 11, 20)
runner = CliRunner()


# -- The sample data, as an import would check it, without a database --------------------------

class Sample:
    def __init__(self, examples: Path, timelines: dict[str, Timeline]) -> None:
        self.facts, self.leads, self.lead_names, self.names = load_sample(examples, timelines)
        self.timelines = timelines

    def write(self, out_dir: Path, **options: Any) -> Path:
        return write_report(out_dir=out_dir, timelines=self.timelines, facts=self.facts,
                            leads=self.leads, as_of=AS_OF, lead_names=self.lead_names,
                            **options)


@pytest.fixture(scope="module")
def sample(examples: Path, timelines: dict[str, Timeline]) -> Sample:
    return Sample(examples, timelines)


@pytest.fixture(scope="module")
def report(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample report as of 2026-11-20, without names."""
    return sample.write(tmp_path_factory.mktemp("report"))


def pages(index: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in index.parent.glob("*.html")}


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


class TestSelfContained:
    """Nothing in any page points at another host: no http(s) URL at all, no scripts, no
    external style sheets, fonts or images; a Content-Security-Policy forbids loading anything."""

    def test_no_url_to_another_host(self, report: Path) -> None:
        forbidden = [
            r"https?:",                                       # any web address at all
            r"""(?:src|href|action)\s*=\s*["']?\s*//""",     # protocol-relative addresses
            r"<(?:script|link|iframe|object|embed|img)\b",   # anything that loads a resource
            r"@import|url\((?!#)",                           # CSS loads; url(#id) is in-page
        ]
        for name, html in pages(report).items():
            for pattern in forbidden:
                assert not re.search(pattern, html, re.IGNORECASE), f"{name}: {pattern}"

    def test_content_security_policy(self, report: Path) -> None:
        for name, html in pages(report).items():
            assert ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "style-src 'unsafe-inline'; img-src data:;") in html, name

    def test_every_link_is_a_page_of_the_report(self, report: Path) -> None:
        found = pages(report)
        files = {path.name for path in report.parent.iterdir()}
        ids = {name: set(re.findall(r'id="([^"]+)"', html)) for name, html in found.items()}
        for name, html in found.items():
            for link in links(html):
                file, _, anchor = link.partition("#")
                file = file or name
                assert file in files, f"{name} links to {link}"
                if anchor and file.endswith(".html"):
                    assert anchor in ids[file], f"{name} links to {link}"

    def test_charts_are_inline_svg_from_matplotlib(self, report: Path) -> None:
        index = (report.parent / "index.html").read_text(encoding="utf-8")
        assert index.count("<svg") >= 10
        assert "xmlns" not in index and "<?xml" not in index and "<metadata" not in index
        svg_ids = re.findall(r'<svg[^>]*>.*?</svg>', index, re.DOTALL)
        all_ids = [i for chart in svg_ids for i in re.findall(r'\bid="([^"]+)"', chart)]
        assert len(all_ids) == len(set(all_ids)), "two charts share an element id"


class TestNames:
    """No child's name unless asked for; with names, every page says it holds personal data.
    Dates of birth never appear."""

    def test_no_names_by_default(self, report: Path, sample: Sample) -> None:
        for name, html in pages(report).items():
            for child in sample.names.values():
                assert child not in html, f"{child} in {name}"
            assert "personal data" not in text_of(html).replace(
                "no child's name or date of birth is in this report", "")

    def test_with_names(self, sample: Sample, tmp_path: Path) -> None:
        index = sample.write(tmp_path, names=sample.names)
        found = pages(index)
        timelines = found["timelines-north-001.html"]
        assert "<h3>C-1001 · Ari Sample</h3>" in timelines
        for name, html in found.items():
            assert "OFFICIAL-SENSITIVE · This report contains children's names" in html, name
            assert "contains personal data</title>" in html, name
            assert "2019-06-02" not in html and "2 Jun 2019" not in html  # C-1001's birth date


class TestBoard:
    """The RAG board counts open clocks per team and per lead, as evaluation gives them, and
    lists red and amber milestones oldest drift first."""

    def test_counts_match_evaluation(self, report: Path, sample: Sample) -> None:
        rows = evaluate(sample.timelines, sample.facts, LeadDirectory(sample.leads),
                        AS_OF).statuses
        text = text_of((report.parent / "index.html").read_text(encoding="utf-8"))
        for team in ("north", "south"):
            counts = [sum(1 for r in rows if r.team == team and r.status is s)
                      for s in (Status.RED, Status.AMBER, Status.GREEN)]
            assert f"{team} {counts[0]} {counts[1]} {counts[2]} {sum(counts)}" in text
        open_cases = len({row.case_ref for row in rows})
        assert f"{open_cases} open cases" in text

    def test_oldest_drift_first(self, report: Path) -> None:
        text = text_of((report.parent / "index.html").read_text(encoding="utf-8"))
        # C-1033 entered care 2025-06-09: placed_with_adopters was due 14 months later,
        # 2026-08-09, and is 103 days overdue on 2026-11-20 (past the service manager's tier at
        # 1 month); C-1008's panel, due 12 weeks after its recommendation of 2026-06-16
        # (2026-09-08), is next at 73 days
        assert ("1 C-1033 north Child moved in with the adoptive family 9 Aug 2026 "
                "103 d overdue Eilidh Demo Fraser Demo, Niamh Demo") in text
        assert ("2 C-1008 north Presented to the Adoption and Permanence Panel 8 Sep 2026 "
                "73 d overdue") in text

    def test_drift_pages_hold_every_red_and_amber(self, report: Path, sample: Sample) -> None:
        rows = evaluate(sample.timelines, sample.facts, LeadDirectory(sample.leads),
                        AS_OF).statuses
        found = pages(report)
        for team in ("north", "south"):
            html = found[f"drift-{team}-001.html"]
            expected = sorted((r.case_ref, r.title) for r in rows
                              if r.team == team and r.status in (Status.RED, Status.AMBER))
            listed = sorted(re.findall(r'#(C-\d+)">C-\d+</a></td><td>[^<]+</td><td>([^<]+)</td>',
                                       html))
            assert listed == [(ref, title.replace("'", "&#39;")) for ref, title in expected]

    def test_forecast(self, report: Path) -> None:
        text = text_of((report.parent / "index.html").read_text(encoding="utf-8"))
        assert "falling due between 20 Nov 2026 and 17 Dec 2026" in text.replace(
            "fall due", "falling due")
        # Open clocks due 20-26 Nov, 27 Nov-3 Dec, 4-10 Dec, 11-17 Dec. North: C-1010 first
        # review, C-1035 and C-1041 agency decisions; C-1006 and C-1016 planning meetings,
        # C-1016 papers to Legal, C-1022 ADM decision, C-1024 petition, C-1026 certificate
        # returned; C-1018 court_lodged; C-1014 order_granted, C-1037 proceedings. South:
        # C-1007 ADM decision; C-1025 planning meeting; C-1009 court_lodged, C-1029 panel.
        # And the recurring looked after reviews falling due: C-1020 (north, 4 Dec), C-1008
        # (north, 16 Dec), C-1019 (south, 17 Dec).
        assert "north whole team 3 6 2 3 14" in text
        assert "south whole team 1 1 2 1 5" in text


class TestMeasuresAndQuality:
    """The figures written with the report are measure()'s; data quality lists the sample's
    one out-of-order pair."""

    def test_measures_files(self, report: Path, sample: Sample) -> None:
        evaluation = evaluate(sample.timelines, sample.facts, LeadDirectory(sample.leads), AS_OF)
        expected = measure(timelines=sample.timelines, facts=sample.facts,
                           evaluation=evaluation, lead_ids={lead[0] for lead in sample.leads},
                           as_of=AS_OF).as_json()
        written = json.loads((report.parent / "measures.json").read_text(encoding="utf-8"))
        assert written == json.loads(json.dumps(expected))
        with (report.parent / "measures.csv").open(encoding="utf-8") as handle:
            table = list(csv.DictReader(handle))
        assert len(table) == len(expected["milestones"]) + len(expected["journeys"])

    def test_out_of_order_pair(self, report: Path) -> None:
        text = text_of((report.parent / "index.html").read_text(encoding="utf-8"))
        assert ("Milestones recorded out of order (1) case team timeline milestone what is "
                "wrong C-1017 south scotland-permanence-order legal_advice legal_advice "
                "completed 2026-04-09, before legal_referral (2026-04-14)") in text

    def test_run_charts_per_milestone(self, report: Path, timelines: dict[str, Timeline]) -> None:
        html = (report.parent / "index.html").read_text(encoding="utf-8")
        assert html.count('aria-label="Run chart: ') == len(re.findall(r"<h4>", html))
        assert '<h4>Health assessment completed</h4>' in html
        # titles as the rule file writes them, not lower-cased ("(CLA)" stays in capitals)
        assert "within 4 weeks of: Child became looked after away from home" in html
        assert "First looked after (CLA) review held" in html
        assert "looked after (cla)" not in html


class TestTeamPages:
    """A team's page sums the team up and the overview links it: figures from `permanence
    status --team north --as-of 2026-11-20` on the sample store (8 red, 7 amber, 42 green;
    sw-north-1 owns 3 red, 1 amber, 11 green)."""

    def test_north(self, report: Path) -> None:
        text = text_of((report.parent / "team-north.html").read_text(encoding="utf-8"))
        assert "Team north As of 20 Nov 2026 · 21 open cases" in text
        assert "8 red, 7 amber and 42 green of 57 running clocks" in text
        assert "Ailsa Demo social worker 3 1 11" in text
        assert "the 10 oldest of 15. All 15, on the team's drift pages" in text
        assert ("1 C-1033 north Child moved in with the adoptive family 9 Aug 2026 103 d "
                "overdue Eilidh Demo Fraser Demo, Niamh Demo") in text

    def test_linked_from_the_overview(self, report: Path) -> None:
        html = (report.parent / "index.html").read_text(encoding="utf-8")
        assert '<td><a href="team-north.html">north</a></td>' in html
        assert '<td><a href="team-south.html">south</a></td>' in html


class TestRunChartMarks:
    """A run chart marks the run chart rules its points break, says which in words, and draws
    the milestone's target on-time share; a month with nothing done draws no median."""

    MONTHS = tuple(f"2025-{month:02d}" for month in range(1, 13))
    # medians 5 6 7 8 9 5 6 5 6 5 6 40: centre 6; 5..9 rising is a trend (points 1-5); the
    # moving ranges are nine 1s, a 4 and a 34, median 1, so 40 (34 from the centre, beyond
    # 3.145) is astronomical; only 8 points are off the centre line, too few to judge runs.
    MEDIANS = (5, 6, 7, 8, 9, 5, 6, 5, 6, 5, 6, 40)

    def rows(self) -> list[MonthMeasure]:
        rows = [MonthMeasure("t", "step", "Step", month, 6, float(days), days + 2, 6, 1.0, 0,
                             6, 6, 0, 0)
                for month, days in zip(self.MONTHS, self.MEDIANS, strict=True)]
        rows.append(MonthMeasure("t", "step", "Step", "2026-01", 0, None, None, 0, 0.0, 0,
                                 2, 0, 0, 2))
        return rows

    def test_signals_in_words(self) -> None:
        assert chart_signals(self.rows(), self.MONTHS) == (
            "median days: trend, astronomical point")
        assert chart_signals(self.rows()[:5], self.MONTHS) == "median days: trend"
        assert chart_signals(self.rows()[:4], self.MONTHS) == ""

    def test_marks_and_target_drawn(self) -> None:
        months = (*self.MONTHS, "2026-01")
        plain = run_chart_svg("Step", self.rows(), months, "marks")
        aimed = run_chart_svg("Step", self.rows(), months, "marks", target=0.9)
        assert "#0e7490" in plain  # the ring around the trend's points
        assert "#c62828" in plain  # the red diamond around 40 (no `allowed` line is drawn)
        assert "#c62828" not in run_chart_svg("Step", self.rows()[:11], months, "marks")
        assert "target 90%" not in plain
        assert "target 90%" in aimed


class TestTimelines:
    """Every open case has one timeline, on its team's pages; pages are cut at page_size."""

    def test_every_open_case_once(self, sample: Sample, tmp_path: Path) -> None:
        index = sample.write(tmp_path, page_size=7)
        found = pages(index)
        north = sorted(name for name in found if name.startswith("timelines-north-"))
        assert north == [f"timelines-north-{n:03d}.html" for n in (1, 2, 3)]
        open_refs = {c.case_ref for c in sample.facts
                     if c.looked_after_on <= AS_OF and (c.closed_on is None or c.closed_on > AS_OF)}
        shown = [ref for name in found if name.startswith("timelines-")
                 for ref in re.findall(r'<section class="child" id="([^"]+)"', found[name])]
        assert sorted(shown) == sorted(open_refs)
        assert 'href="timelines-north-002.html">next ›</a>' in found["timelines-north-001.html"]

    def test_one_case_reads_right(self, report: Path) -> None:
        html = (report.parent / "timelines-north-001.html").read_text(encoding="utf-8")
        card = html[html.index('id="C-1006"'):]
        card = card[:card.index("</section>")]
        text = text_of(card)
        assert "1 red 3 green" in text  # legal advice; reviews, planning meeting, panel
        assert "Legal advice received from Legal Services 7 Nov 2026 13 d overdue" in text
        assert "Presented to the Adoption and Permanence Panel 12 Jan 2027 due in 53 d" in text
        # waiting steps are projected from the due dates before them
        assert "Agency decision maker&#39;s decision made" in card
        assert '<td class="pj">≈ 26 Jan 2027</td>' in card

    def test_stale_pages_are_removed(self, sample: Sample, tmp_path: Path) -> None:
        sample.write(tmp_path, page_size=7)
        sample.write(tmp_path)
        assert sorted(p.name for p in tmp_path.glob("timelines-*")) == [
            "timelines-north-001.html", "timelines-south-001.html"]

    def test_team_option(self, sample: Sample, tmp_path: Path) -> None:
        found = pages(sample.write(tmp_path, team="south"))
        assert not any(name.startswith(("timelines-north", "drift-north")) for name in found)
        assert "C-1001" not in found["index.html"]

    def test_pager(self) -> None:
        files = [f"p{n}" for n in range(1, 21)]
        assert [n for n, _ in pager_links(files, 10)] == [
            1, 2, None, 7, 8, 9, 10, 11, 12, 13, None, 19, 20]
        assert [n for n, _ in pager_links(files[:3], 1)] == [1, 2, 3]

    def test_helpers(self) -> None:
        assert day_text(date(2026, 2, 4)) == "4 Feb 2026"
        assert slug("North & West") == "north-west"
        assert slug("***") == "team"


class TestErrors:
    """The output folder must be a folder that can be written."""

    def test_out_is_a_file(self, sample: Sample, tmp_path: Path) -> None:
        from permanence.errors import ReportError

        target = tmp_path / "taken"
        target.write_text("x")
        with pytest.raises(ReportError, match=f"cannot write the report to {target}: it is a "
                                              "file, not a folder"):
            sample.write(target)


# -- The command line ---------------------------------------------------------------------------

class TestCommands:
    """`permanence report` and `permanence measures` on SQLite and PostgreSQL."""

    def test_report(self, loaded: str, tmp_path: Path) -> None:
        result = runner.invoke(app, ["--db", loaded, "report", "--as-of", "2026-11-20",
                                     "--out", str(tmp_path / "r")])
        assert result.exit_code == 0, result.output
        assert result.stdout == (f"Wrote the report for 2026-11-20 (all teams) to "
                                 f"{tmp_path / 'r' / 'index.html'}.\n")
        html = (tmp_path / "r" / "timelines-north-001.html").read_text(encoding="utf-8")
        assert "Ari Sample" not in html and "Ailsa Demo" in html

    def test_report_with_names(self, loaded: str, tmp_path: Path) -> None:
        result = runner.invoke(app, ["--db", loaded, "report", "--as-of", "2026-11-20",
                                     "--team", "north", "--with-names", "--out",
                                     str(tmp_path / "r")])
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith("It contains children's names: personal data.\n")
        assert "C-1001 · Ari Sample" in (tmp_path / "r" / "timelines-north-001.html").read_text(
            encoding="utf-8")
        assert not (tmp_path / "r" / "timelines-south-001.html").exists()
        # Personal data: readable by the owner only, like the store.
        assert (tmp_path / "r").stat().st_mode & 0o777 == 0o700
        assert {path.stat().st_mode & 0o777 for path in (tmp_path / "r").iterdir()} == {0o600}

    def test_writes_only_its_own_files(self, loaded: str, tmp_path: Path) -> None:
        """A folder holding anyone else's files is refused and left as it was; a report folder
        is replaced whole, its stale pages gone; a link planted in it is removed, never
        followed."""
        def report(out: Path, *extra: str) -> Any:
            return runner.invoke(app, ["--db", loaded, "report", "--as-of", "2026-11-20",
                                       *extra, "--out", str(out)])

        theirs = tmp_path / "theirs"
        theirs.mkdir()
        (theirs / "team-budget.html").write_text("mine")
        refused = report(theirs)
        assert refused.exit_code == 1
        assert "holds files no report wrote" in refused.stderr
        assert [p.name for p in theirs.iterdir()] == ["team-budget.html"]

        ours = tmp_path / "ours"
        assert report(ours).exit_code == 0
        assert (ours / "timelines-south-001.html").exists()
        outside = tmp_path / "outside.txt"
        outside.write_text("keep me")
        (ours / "index.html").unlink()
        (ours / "index.html").symlink_to(outside)
        assert report(ours, "--team", "north").exit_code == 0
        assert outside.read_text() == "keep me"
        assert not (ours / "index.html").is_symlink()
        assert not (ours / "timelines-south-001.html").exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no debris

        (ours / "notes.txt").write_text("a manager's notes")
        again = report(ours)
        assert again.exit_code == 1 and "notes.txt" in again.stderr
        assert (ours / "notes.txt").read_text() == "a manager's notes"

    def test_unknown_team(self, loaded: str, tmp_path: Path) -> None:
        result = runner.invoke(app, ["--db", loaded, "report", "--team", "nrth", "--out",
                                     str(tmp_path)])
        assert result.exit_code == 1
        assert result.stderr == ("--team 'nrth': no case is in that team; teams in the store: "
                                 "north, south\n")

    def test_out_is_a_file(self, loaded: str, tmp_path: Path) -> None:
        target = tmp_path / "file"
        target.write_text("x")
        result = runner.invoke(app, ["--db", loaded, "report", "--out", str(target)])
        assert result.exit_code == 1
        assert result.stderr == (f"cannot write the report to {target}: it is a file, not a "
                                 "folder; choose a folder (it is created if missing)\n")

    def test_measures_json_and_csv(self, loaded: str, sample: Sample) -> None:
        result = runner.invoke(app, ["--db", loaded, "measures", "--as-of", "2026-11-20"])
        assert result.exit_code == 0, result.output
        evaluation = evaluate(sample.timelines, sample.facts, LeadDirectory(sample.leads), AS_OF)
        expected = measure(timelines=sample.timelines, facts=sample.facts,
                           evaluation=evaluation, lead_ids={lead[0] for lead in sample.leads},
                           as_of=AS_OF).as_json()
        assert json.loads(result.stdout) == json.loads(json.dumps(expected))
        result = runner.invoke(app, ["--db", loaded, "measures", "--as-of", "2026-11-20",
                                     "--team", "south", "--format", "csv"])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines[0] == ("measure,timeline,milestone,title,month,n,median_days,p90_days,"
                            "on_time,share_on_time,due,due_on_time,due_late,due_open")
        assert len(lines) > 10

    def test_bad_format(self, loaded: str) -> None:
        result = runner.invoke(app, ["--db", loaded, "measures", "--format", "xml"])
        assert result.exit_code == 2


# -- A real browser -------------------------------------------------------------------------------

def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but chromium is not installed: .ci/run installs Debian's "
                        "chromium package")
        pytest.skip("install chromium (apt-get install chromium) to open the report in a browser")
    return found


class Browser:
    """Headless Chromium over the DevTools protocol: one page, its requests, console messages
    and uncaught errors recorded."""

    def __init__(self, binary: str, profile: Path) -> None:
        from websockets.sync.client import connect  # a dependency of prefect

        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--disable-default-apps", "--mute-audio",
             "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        address = self._address()
        self.socket = connect(address, max_size=None, open_timeout=20)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def _address(self) -> str:
        assert self.process.stderr is not None
        found: list[str] = []
        done = threading.Event()

        def read() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                match = re.search(r"DevTools listening on (ws://\S+)", line)
                if match and not found:
                    found.append(match.group(1))
                    done.set()
            done.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not done.wait(30) or not found:
            self.process.kill()
            pytest.fail("chromium did not open its DevTools port")
        return found[0]

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv(timeout=60))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return cast(dict[str, Any], reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(event.get("method") == method for event in self.events):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {method} within {timeout} s"
            with contextlib.suppress(TimeoutError):
                self.events.append(json.loads(self.socket.recv(timeout=remaining)))

    def settle(self, seconds: float = 0.5) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.socket.recv(timeout=remaining)))
            except TimeoutError:
                break

    def open(self, url: str, width: int = 1400) -> None:
        self.events.clear()
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=1000,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        self.settle()

    def requests(self) -> list[str]:
        return [event["params"]["request"]["url"] for event in self.events
                if event.get("method") == "Network.requestWillBeSent"]

    def problems(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in {"error", "warning",
                                                                            "assert"}:
                found.append(f"console.{params['type']}: {params['args']}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in {"error", "warning"}:
                found.append(f"log {params['entry']['level']}: {params['entry']['text']}")
            elif method == "Network.loadingFailed":
                found.append(f"failed to load: {params}")
        return found

    def screenshot(self, path: Path, media: str = "screen", width: int = 1400) -> bytes:
        self.call("Emulation.setEmulatedMedia", session=True, media=media)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=1000,
                  deviceScaleFactor=1, mobile=False)
        height = self.call("Runtime.evaluate", session=True,
                           expression="document.documentElement.scrollHeight",
                           returnByValue=True)["result"]["value"]
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=min(int(height), 9000), deviceScaleFactor=1, mobile=False)
        data = base64.b64decode(self.call("Page.captureScreenshot", session=True,
                                          format="png")["data"])
        path.write_bytes(data)
        self.call("Emulation.setEmulatedMedia", session=True, media="")
        return data

    def pdf(self) -> bytes:
        return base64.b64decode(self.call("Page.printToPDF", session=True,
                                          preferCSSPageSize=True, printBackground=True)["data"])

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.reader.join(10)
            assert self.process.stderr is not None
            self.process.stderr.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    opened = Browser(chromium(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield opened
    finally:
        opened.close()


def keep(path: Path) -> None:
    folder = os.environ.get("PERMANENCE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


class TestInChromium:
    """Each page loads in headless Chromium with no console error and no request other than
    the page's own file, and prints."""

    @pytest.mark.parametrize("page", ["index.html", "timelines-north-001.html",
                                      "drift-south-001.html", "quality.html"])
    def test_page_loads_cleanly(self, browser: Browser, report: Path, page: str,
                                tmp_path: Path) -> None:
        url = (report.parent / page).as_uri()
        browser.open(url)
        assert browser.problems() == []
        assert browser.requests() == [url]
        shot = tmp_path / f"report-{page.removesuffix('.html')}.png"
        data = browser.screenshot(shot)
        assert data.startswith(b"\x89PNG") and len(data) > 20_000
        keep(shot)

    @pytest.mark.parametrize("width", [1024, 1400])
    @pytest.mark.parametrize("page", ["index.html", "team-north.html", "timelines-north-001.html",
                                      "drift-south-001.html", "quality.html"])
    def test_nothing_sticks_out(self, browser: Browser, report: Path, page: str,
                                width: int) -> None:
        """At a small laptop's width and a desktop's, no table, chart or bar runs past its
        column or the page (the per-lead table once ran 46 px past its column at 1400)."""
        browser.open((report.parent / page).as_uri(), width=width)
        found = browser.call("Runtime.evaluate", session=True, returnByValue=True, expression=(
            "(() => { const page = document.documentElement.clientWidth; return [...document"
            ".querySelectorAll('table, figure, .bar, .chart, .cols > div, .child')].filter(el =>"
            " { const right = el.getBoundingClientRect().right; return right > page + 1 ||"
            " right > el.parentElement.getBoundingClientRect().right + 1; }).map(el =>"
            " el.tagName + ' after ' + (el.previousElementSibling?.id || el.previousElementSibling"
            "?.tagName || 'nothing')); })()"))["result"]["value"]
        assert found == []
        assert browser.call("Runtime.evaluate", session=True, returnByValue=True, expression=(
            "document.documentElement.scrollWidth"))["result"]["value"] <= width

    def test_prints(self, browser: Browser, report: Path, tmp_path: Path) -> None:
        browser.open((report.parent / "index.html").as_uri())
        shot = tmp_path / "report-index-print.png"
        browser.screenshot(shot, media="print", width=1030)  # A4 landscape inside the margins
        keep(shot)
        pdf = browser.pdf()
        assert pdf.startswith(b"%PDF")
        assert browser.problems() == []

    def test_named_report_loads_cleanly(self, browser: Browser, sample: Sample,
                                        tmp_path: Path) -> None:
        index = sample.write(tmp_path / "named", names=sample.names)
        url = (index.parent / "timelines-south-001.html").as_uri()
        browser.open(url)
        assert browser.problems() == []
        assert browser.requests() == [url]
        shot = tmp_path / "report-timelines-named.png"
        browser.screenshot(shot)
        keep(shot)
