"""Charts kept on disk, so a chart drawn once is not drawn again by the next process.

A chart is a function of its inputs, the drawing code and matplotlib's version, and drawing one
takes a tenth of a second. The daily check, `permanence report` and the web page draw mostly
the same charts day after day: a month's figures change only when a step in it completes. So
each drawn chart is kept as a file named by a hash of all of these, in PERMANENCE_CHART_CACHE
(default: `permanence/charts` in the user's cache folder, `$XDG_CACHE_HOME` or `~/.cache`;
`off` for none). A chart holds no child's name or date of birth, only what the page shows of it:
team names, monthly figures and the text of improvement annotations; the folder is its owner's
only (700, files 600), and the least recently used charts beyond KEPT are removed. A folder that
cannot be read or written is not an error: the chart is drawn as before.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

from markupsafe import Markup

P = ParamSpec("P")

CACHE_ENV = "PERMANENCE_CHART_CACHE"
KEPT = 2000
"""Charts kept at most: about 40 a report, so a month of daily reports for a few teams."""
OFF = {"off", "0", "false", "no"}
DRAWING_CODE = ("report", "measures")
"""The packages whose code decides how a chart looks: a change to any file in them is a new
drawing, so charts drawn by an earlier version are never shown."""


def cache_folder() -> Path | None:
    """Where charts are kept, or None when PERMANENCE_CHART_CACHE is off."""
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() in OFF:
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "permanence" / "charts"


@functools.cache
def drawing_version() -> str:
    """A hash of matplotlib's version and of every file of the drawing code."""
    import matplotlib

    digest = hashlib.sha256(matplotlib.__version__.encode())
    package = Path(__file__).resolve().parents[1]
    for folder in DRAWING_CODE:
        for source in sorted((package / folder).glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def kept_on_disk(draw: Callable[P, Markup]) -> Callable[P, Markup]:
    """`draw`, reading a chart drawn before with the same arguments from the cache folder and
    keeping each new one there. The arguments must say everything the chart shows, in their
    repr (tuples, named tuples, numbers, dates and strings)."""

    @functools.wraps(draw)
    def drawn(*args: P.args, **kwargs: P.kwargs) -> Markup:
        folder = cache_folder()
        if folder is None:
            return draw(*args, **kwargs)
        key = hashlib.sha256(repr((draw.__module__, draw.__qualname__, args,
                                   sorted(kwargs.items()), drawing_version())).encode()
                             ).hexdigest()
        path = folder / f"{key}.svg"
        try:
            kept = Markup(path.read_text(encoding="utf-8"))
        except OSError:
            pass
        else:
            with contextlib.suppress(OSError):  # a folder it may read but not write
                os.utime(path)  # recently used: kept when older ones are removed
            return kept
        chart = draw(*args, **kwargs)
        with contextlib.suppress(OSError):
            _keep(folder, path, chart)
        return chart

    return drawn


def _keep(folder: Path, path: Path, chart: Markup) -> None:
    """Write the chart whole (a reader in another process sees it whole or not at all), then
    remove the least recently used beyond KEPT."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")  # mode 600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(chart)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    with os.scandir(folder) as entries:
        charts = [entry for entry in entries if entry.name.endswith(".svg")]
    if len(charts) > KEPT:
        charts.sort(key=lambda entry: entry.stat().st_mtime)
        for entry in charts[:len(charts) - KEPT]:
            Path(entry.path).unlink(missing_ok=True)
