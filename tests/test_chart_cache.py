"""Charts kept on disk: drawn once for the same inputs and drawing code, by any process; never
in the way when the folder cannot be used."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from markupsafe import Markup

from permanence.measures.board import RagRow
from permanence.report import chart_cache, charts
from permanence.report.chart_cache import CACHE_ENV, cache_folder, kept_on_disk


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "charts"))
    return tmp_path / "charts"


def counted() -> tuple[list[tuple[object, ...]], Callable[..., Markup]]:
    """A drawing kept on disk, and the list of its calls."""
    calls: list[tuple[object, ...]] = []

    def draw(*args: object, **kwargs: object) -> Markup:
        calls.append((*args, *sorted(kwargs.items())))
        return Markup(f"<svg>{len(calls)}</svg>")

    return calls, kept_on_disk(draw)


class TestKept:
    def test_drawn_once_for_the_same_arguments(self, folder: Path) -> None:
        calls, cached = counted()
        first = cached(("north", 1), size=2)
        again = cached(("north", 1), size=2)
        assert (first, again) == ("<svg>1</svg>", "<svg>1</svg>")
        assert isinstance(again, Markup)
        assert len(calls) == 1
        assert len(list(folder.glob("*.svg"))) == 1

    def test_other_arguments_drawn_again(self, folder: Path) -> None:
        calls, cached = counted()
        for args, kwargs in [((("north", 1),), {}), ((("north", 2),), {}),
                             ((("north", 1),), {"size": 3})]:
            cached(*args, **kwargs)
        assert len(calls) == 3
        assert len(list(folder.glob("*.svg"))) == 3

    def test_a_new_drawing_code_draws_again(self, folder: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
        calls, cached = counted()
        cached("north")
        monkeypatch.setattr(chart_cache, "drawing_version", lambda: "changed")
        cached("north")
        assert len(calls) == 2

    def test_the_drawing_code_is_the_report_and_measures_packages(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        both = chart_cache.drawing_version.__wrapped__()
        assert both == chart_cache.drawing_version() and len(both) == 64
        monkeypatch.setattr(chart_cache, "DRAWING_CODE", ("report",))
        assert chart_cache.drawing_version.__wrapped__() != both  # measures/ counts
        monkeypatch.setattr(chart_cache, "DRAWING_CODE", ("report", "measures"))
        monkeypatch.setattr("matplotlib.__version__", "0.0")
        assert chart_cache.drawing_version.__wrapped__() != both  # so does matplotlib's

    def test_owner_only(self, folder: Path) -> None:
        _, cached = counted()
        cached("north")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        [kept] = folder.glob("*.svg")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert not list(folder.glob("*.part"))

    def test_least_recently_used_removed_beyond_kept(
            self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(chart_cache, "KEPT", 3)
        calls, cached = counted()
        kept: dict[int, Path] = {}
        for day in range(3):  # kept a minute apart, 0 the oldest
            cached(day)
            [kept[day]] = set(folder.glob("*.svg")) - set(kept.values())
            os.utime(kept[day], (1000 + 60 * day, 1000 + 60 * day))
        cached(0)  # read: now the most recently used
        cached(3)  # a fourth: the least recently used, 1, goes
        assert not kept[1].exists()
        assert kept[0].exists() and kept[2].exists()
        assert len(list(folder.glob("*.svg"))) == 3
        drawn = len(calls)
        cached(1)
        assert len(calls) == drawn + 1


class TestNotInTheWay:
    def test_off(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(CACHE_ENV, "off")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        calls, cached = counted()
        cached("north")
        cached("north")
        assert len(calls) == 2
        assert cache_folder() is None
        assert list(tmp_path.iterdir()) == []

    def test_a_folder_that_can_be_read_but_not_written(self, folder: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        calls, cached = counted()
        cached("north")

        def refused(*_: object) -> None:
            raise PermissionError("read-only")

        monkeypatch.setattr(chart_cache.os, "utime", refused)
        assert cached("north") == "<svg>1</svg>"
        assert len(calls) == 1

    def test_a_folder_that_cannot_be_written(self, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
        in_the_way = tmp_path / "a-file"
        in_the_way.write_text("not a folder")
        monkeypatch.setenv(CACHE_ENV, str(in_the_way / "charts"))
        _, cached = counted()
        assert cached("north") == "<svg>1</svg>"
        assert cached("north") == "<svg>2</svg>"

    def test_default_folder(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(CACHE_ENV)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        assert cache_folder() == tmp_path / "permanence" / "charts"
        monkeypatch.delenv("XDG_CACHE_HOME")
        monkeypatch.setenv("HOME", str(tmp_path))
        assert cache_folder() == tmp_path / ".cache" / "permanence" / "charts"


class TestRealCharts:
    ROWS = (RagRow("north", None, 3, 2, 1), RagRow("south", None, 5, 0, 2))

    def test_the_kept_chart_is_the_drawn_one(self, folder: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(CACHE_ENV, "off")
        drawn = charts.rag_chart(self.ROWS)
        monkeypatch.setenv(CACHE_ENV, str(folder))
        assert charts.rag_chart(self.ROWS) == drawn  # drawn, and kept
        [kept] = folder.glob("*.svg")
        assert kept.read_text(encoding="utf-8") == drawn

        def not_drawn(*_: object) -> Markup:
            raise AssertionError("drawn again")

        monkeypatch.setattr(charts, "_rag_chart", not_drawn)
        assert charts.rag_chart(self.ROWS) == drawn
        with pytest.raises(AssertionError, match="drawn again"):
            charts.rag_chart(self.ROWS[:1])  # other figures: drawn
