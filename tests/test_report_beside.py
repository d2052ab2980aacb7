"""The timeline pages written by a forked process beside the one writing the rest of a report:
the same pages as one process writes, and every failure of the child raised in the parent."""

from __future__ import annotations

import errno
import os
import signal
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import load_sample

from permanence.errors import ReportError
from permanence.report import beside, write_report
from permanence.report.beside import memory_available, room_beside, written_beside
from permanence.timelines import Timeline

AS_OF = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def forking() -> Iterator[None]:
    """These tests are about the second process: CI's machines have two cores."""
    if not room_beside():
        if os.environ.get("CI"):
            pytest.fail("CI runs on a 2-core Linux machine, where the report forks")
        pytest.skip("one core, not Linux, or little memory: the report writes everything in "
                    "one process")
    yield


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


class TestWrittenBeside:
    def test_work_runs_in_another_process_while_the_body_runs(self, tmp_path: Path) -> None:
        ran_in = tmp_path / "pid"
        with written_beside(lambda: ran_in.write_text(str(os.getpid())), what="pages"):
            body_pid = os.getpid()
        assert int(ran_in.read_text()) not in (body_pid, 0)

    def test_an_error_in_the_child_is_raised_again_in_the_parent(self) -> None:
        def full_disk() -> None:
            raise OSError(errno.ENOSPC, "No space left on device", "timelines-north-001.html")

        with pytest.raises(OSError) as raised, written_beside(full_disk, what="the pages"):
            pass
        assert raised.value.errno == errno.ENOSPC
        assert raised.value.filename == "timelines-north-001.html"
        note = "\n".join(raised.value.__notes__)
        assert "raised in the process writing the pages beside this one" in note
        assert "in full_disk" in note  # the child's traceback, for whoever is on call

    def test_an_error_that_cannot_travel_comes_back_as_its_traceback(self) -> None:
        class Unbuildable(Exception):
            def __init__(self, first: str, second: str) -> None:
                super().__init__(f"{first} and {second}")

        def fails() -> None:
            raise Unbuildable("one", "two")

        unbuildable = r"the pages failed in the process writing them beside this one:\n(.|\n)*"
        with (pytest.raises(ReportError, match=unbuildable + "Unbuildable: one and two"),
              written_beside(fails, what="the pages")):
            pass

    def test_a_child_killed_is_a_failure(self) -> None:
        killed = "the pages failed: the process writing them was stopped by SIGKILL"
        with (pytest.raises(ReportError, match=killed),
              written_beside(lambda: os.kill(os.getpid(), signal.SIGKILL), what="the pages")):
            pass

    def test_a_failure_of_the_body_stops_the_child(self, tmp_path: Path) -> None:
        ran_in = tmp_path / "pid"

        def slow() -> None:
            ran_in.write_text(str(os.getpid()))
            time.sleep(600)

        with (pytest.raises(ValueError, match="the index failed"),
              written_beside(slow, what="the pages")):
            while not ran_in.exists() or not ran_in.read_text():
                time.sleep(0.01)
            raise ValueError("the index failed")
        with pytest.raises(ProcessLookupError):  # stopped and reaped: no such process left
            os.kill(int(ran_in.read_text()), 0)

    def test_without_the_memory_for_a_second_process_the_work_is_done_here(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(beside, "memory_available", lambda: beside.memory_held() - 1)
        ran_in = tmp_path / "pid"
        with written_beside(lambda: ran_in.write_text(str(os.getpid())), what="pages"):
            assert ran_in.read_text() == str(os.getpid())  # done before the body, here

    def test_memory_available_within_a_control_groups_limit(self, tmp_path: Path) -> None:
        megabyte = 2 ** 20
        assert memory_available(tmp_path / "no-cgroup") > megabyte
        (tmp_path / "memory.max").write_text("max\n")
        (tmp_path / "memory.current").write_text("1000\n")
        assert memory_available(tmp_path) > megabyte  # no limit: the machine's
        (tmp_path / "memory.max").write_text(f"{megabyte + 1000}\n")
        assert memory_available(tmp_path) == megabyte  # what is left under the limit


class TestReport:
    def test_the_same_report_from_one_process_and_two(
            self, examples: Path, timelines: dict[str, Timeline], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> None:
        facts, leads, lead_names, _ = load_sample(examples, timelines)

        def written(folder: Path) -> dict[str, bytes]:
            write_report(out_dir=folder, timelines=timelines, facts=facts, leads=leads,
                         as_of=AS_OF, lead_names=lead_names, page_size=7)
            return files_of(folder)

        two = written(tmp_path / "two")
        monkeypatch.setattr(beside, "room_beside", lambda: False)
        one = written(tmp_path / "one")
        assert sum(name.startswith("timelines-") for name in two) > 3
        assert two == one

    def test_a_full_disk_while_writing_timelines_reads_as_before(
            self, examples: Path, timelines: dict[str, Timeline], tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> None:
        """The child's error is the same OSError, so the report's own sentence names it, and
        the report already in the folder stays whole."""
        facts, leads, lead_names, _ = load_sample(examples, timelines)
        out = tmp_path / "report"
        write_report(out_dir=out, timelines=timelines, facts=facts, leads=leads, as_of=AS_OF,
                     lead_names=lead_names)
        before = files_of(out)

        def full_disk(*_: object, **__: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr("permanence.report.pages.child_card", full_disk)
        with pytest.raises(ReportError, match=f"cannot write the report to {out}: No space "
                                              "left on device"):
            write_report(out_dir=out, timelines=timelines, facts=facts, leads=leads,
                         as_of=AS_OF, lead_names=lead_names)
        assert files_of(out) == before
        assert [path.name for path in tmp_path.iterdir()] == ["report"]  # no staging left
