"""The report's folder: written whole beside the target, then put in its place.

A report folder holds only what a report wrote, listed in its marker file. Writing a new one
never follows a planted link, never touches anything of anyone else's, and readers see the old
report whole or the new one whole, never a mix.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from permanence.errors import ReportError

REPORT_MARKER = ".permanence-report"  # in every report folder: the files that report wrote


@contextlib.contextmanager
def replacing(out_dir: Path, *, as_of: date, private: bool) -> Iterator[Path]:
    """A new, empty folder to write the report for `as_of` into; when the block ends, the
    report there replaces the one in `out_dir`. A `private` report (children's names) is
    readable by its owner only, like the store. A folder that cannot be written is one plain
    sentence."""
    try:
        previous = _previous_report(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        # A new, private folder beside the target: nothing in it but what is written now, so
        # no planted link is followed and nothing of anyone else's is touched.
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
        try:
            yield staging
            _seal(staging, as_of, private)
            _replace(out_dir, staging, previous)
        finally:
            if staging.exists():
                _remove_report(staging, None)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ReportError(f"cannot write the report to {out_dir}: {reason} "
                          f"({error.filename or out_dir}); choose a folder you can write "
                          "to") from None


def _seal(staging: Path, as_of: date, private: bool) -> None:
    """List the files written in the marker and give them their permissions."""
    files = sorted(path.name for path in staging.iterdir())
    (staging / REPORT_MARKER).write_text(json.dumps(
        {"as_of": as_of.isoformat(), "files": files}, indent=1) + "\n", "utf-8")
    for path in staging.iterdir():
        path.chmod(0o600 if private else 0o644)
    staging.chmod(0o700 if private else 0o755)


def _previous_report(out_dir: Path) -> list[str] | None:
    """The files of the report already in `out_dir` (None when there is no folder or it is
    empty); refuse a folder holding anything a report did not write."""
    if out_dir.is_symlink():
        raise ReportError(f"cannot write the report to {out_dir}: it is a link; name the "
                          "folder itself (it is created if missing)")
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"cannot write the report to {out_dir}: it is a file, not a "
                          "folder; choose a folder (it is created if missing)")
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return None
    try:
        files = json.loads((out_dir / REPORT_MARKER).read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ReportError(f"cannot write the report to {out_dir}: the folder holds files no "
                          "report wrote; choose an empty folder, a new one, or one a report "
                          "was written to") from None
    theirs = sorted({path.name for path in out_dir.iterdir()} - set(files) - {REPORT_MARKER})
    if theirs:
        raise ReportError(f"cannot write the report to {out_dir}: it also holds "
                          f"{', '.join(theirs[:5])}{' ...' if len(theirs) > 5 else ''}, which "
                          "no report wrote; move them out first (the report replaces the "
                          "whole folder)")
    return list(files)


def _replace(out_dir: Path, staging: Path, previous: list[str] | None) -> None:
    """Put the finished report in place of the previous one: readers see the old report whole
    or the new one whole, never a mix, and only the old report's own files are removed."""
    if previous is None:
        if out_dir.exists():
            out_dir.rmdir()  # empty: checked before writing
        staging.rename(out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
    retired.rmdir()
    out_dir.rename(retired)
    staging.rename(out_dir)
    _remove_report(retired, previous)


def _remove_report(folder: Path, files: list[str] | None) -> None:
    """Remove a report folder of ours: the files listed (all, for a staging folder), never a
    link's target, then the folder if that left it empty."""
    names = files if files is not None else [path.name for path in folder.iterdir()]
    for name in [*names, REPORT_MARKER]:
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else in it: left as it is, never lost
        folder.rmdir()
