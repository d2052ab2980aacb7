"""`permanence examples DIR`: every sample the docs' tours use, written from the package itself
(the top-level CSVs, the synthetic SSDA903 return and the example mappings with their exports),
so the tours work from an empty folder with an installed, non-editable package."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

from permanence.cli import app
from permanence.examples import EXAMPLES_DIR

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def run(db: str, *args: str):
    return runner.invoke(app, ["--db", db, *args], catch_exceptions=False)


def files_under(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file())


class TestExamples:
    def test_the_tour_from_an_empty_folder(self, tmp_path: Path) -> None:
        folder = tmp_path / "examples"
        result = runner.invoke(app, ["examples", str(folder)])
        assert result.exit_code == 0, result.output
        written = sorted(path.name for path in folder.iterdir())
        assert written == ["cases-2026-11-12.csv", "cases.csv", "events.csv",
                           "extensions.csv", "leads.csv", "mappings", "pauses.csv", "ssda903"]
        assert result.stdout == (
            f"Wrote 6 sample files into {folder}: cases-2026-11-12.csv, cases.csv, events.csv, "
            f"extensions.csv, leads.csv, pauses.csv; a synthetic SSDA903 return in "
            f"{folder / 'ssda903'}; and 2 example mappings with their sample exports in "
            f"{folder / 'mappings'}\n")
        assert sorted(path.name for path in (folder / "ssda903").iterdir()) == [
            "2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "2024-25", "2025-26"]
        assert len(list((folder / "ssda903").rglob("*.csv"))) == 35  # 7 years x 5 tables
        assert files_under(folder / "mappings") == [
            "liquidlogic-like/cases-2026-11-23.csv", "liquidlogic-like/events-2026-11-23.csv",
            "liquidlogic-like/leads-2026-11-23.csv", "liquidlogic-like/mapping.yaml",
            "liquidlogic-like/pauses-2026-11-23.csv", "mosaic-like/cases-2026-11-23.csv",
            "mosaic-like/events-2026-11-23.csv", "mosaic-like/mapping.yaml"]
        for name in files_under(folder):  # copies, byte for byte
            assert (folder / name).read_bytes() == (EXAMPLES_DIR / name).read_bytes(), name
        url = f"sqlite:///{tmp_path / 'permanence.db'}"
        assert run(url, "init").exit_code == 0
        for kind in ("leads", "cases", "events", "pauses", "extensions"):
            imported = run(url, "import", kind, str(folder / f"{kind}.csv"))
            assert imported.exit_code == 0, imported.output
        imported = run(url, "import", "ssda903", str(folder / "ssda903"), "--team", "north",
                       "--social-worker", "sw-north-1")
        assert imported.exit_code == 0, imported.output
        assert imported.stdout.splitlines()[-1] == (
            "Imported 80 children (88 cases: 88 new, 0 changed, 0 unchanged; 489 dates "
            "recorded); 0 children left out.")

    def test_the_mappings_tour_from_the_folder_written(self, tmp_path: Path) -> None:
        """docs/mappings.md's commands, on the files written: the mosaic-like export's 3 cases
        (a snapshot) and 9 step rows, one of them a visit the mapping skips; the
        liquidlogic-like export's own leads (4), cases (2), events (10) and pause (1)."""
        folder = tmp_path / "examples"
        assert runner.invoke(app, ["examples", str(folder)]).exit_code == 0
        url = f"sqlite:///{tmp_path / 'mosaic.db'}"
        mosaic = folder / "mappings" / "mosaic-like"
        assert run(url, "init").exit_code == 0
        assert run(url, "import", "leads", str(folder / "leads.csv")).exit_code == 0
        cases = run(url, "import", "cases", str(mosaic / "cases-2026-11-23.csv"),
                    "--map", str(mosaic / "mapping.yaml"))
        assert (cases.exit_code, cases.stdout) == (0, (
            f"Imported 3 cases from {mosaic / 'cases-2026-11-23.csv'}.\n"
            "Snapshot: every open case in the store is in it.\n"))
        events = run(url, "import", "events", str(mosaic / "events-2026-11-23.csv"),
                     "--map", str(mosaic / "mapping.yaml"))
        assert (events.exit_code, events.stdout) == (0, (
            f"Imported 8 events from {mosaic / 'events-2026-11-23.csv'}.\n"))
        url = f"sqlite:///{tmp_path / 'liquidlogic.db'}"
        liquidlogic = folder / "mappings" / "liquidlogic-like"
        assert run(url, "init").exit_code == 0
        for kind, said in (("leads", "4 leads"), ("cases", "2 cases"), ("events", "10 events"),
                           ("pauses", "1 pause")):
            export = liquidlogic / f"{kind}-2026-11-23.csv"
            imported = run(url, "import", kind, str(export), "--map",
                           str(liquidlogic / "mapping.yaml"))
            assert (imported.exit_code, imported.stdout) == (0, f"Imported {said} from {export}.\n")

    def test_never_overwrites(self, tmp_path: Path) -> None:
        mine = tmp_path / "leads.csv"
        mine.write_text("my own leads\n")
        result = runner.invoke(app, ["examples", str(tmp_path)])
        assert (result.exit_code, result.stderr) == (1, (
            f"{mine} already exists; nothing written (choose another folder, or move them "
            "away)\n"))
        assert mine.read_text() == "my own leads\n"
        assert sorted(path.name for path in tmp_path.iterdir()) == ["leads.csv"]

    def test_never_overwrites_a_mapping_either(self, tmp_path: Path) -> None:
        mine = tmp_path / "mappings" / "mosaic-like" / "mapping.yaml"
        mine.parent.mkdir(parents=True)
        mine.write_text("source: my own\n")
        result = runner.invoke(app, ["examples", str(tmp_path)])
        assert (result.exit_code, result.stderr) == (1, (
            f"{mine} already exists; nothing written (choose another folder, or move them "
            "away)\n"))
        assert files_under(tmp_path) == ["mappings/mosaic-like/mapping.yaml"]


def test_every_file_written_is_package_data() -> None:
    """An installed (non-editable) package holds only what pyproject.toml's package-data names:
    every file `examples` copies must match one of permanence.examples' patterns."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert settings["package-dir"]["permanence.examples"] == "examples"
    patterns = settings["package-data"]["permanence.examples"]
    packaged = {path.relative_to(EXAMPLES_DIR).as_posix()
                for pattern in patterns for path in EXAMPLES_DIR.glob(pattern)}
    shipped = [name for name in files_under(EXAMPLES_DIR)
               if name.endswith((".csv", ".yaml"))]
    assert len(shipped) == 6 + 35 + 8
    assert sorted(packaged) == shipped
