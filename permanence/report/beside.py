"""Part of a report written by a second process while this one writes the rest.

A large report's children's timeline pages take a third of its time and need nothing the other
pages work out, so on a machine with a second core a forked child writes them while the parent
goes on. Fork, not a pool: the child inherits the evaluated cases as they are, nothing is
pickled on the way in, and it hands back only its error, if any. Where there is no fork to
trust (not Linux), only one core, or not the memory for a second process, the work is done
first, in this process: the pages are the same either way.

A forked child shares its parent's memory only until it touches it, and writing every card
touches most of what the parent holds (Python counts references in the objects themselves):
at 1,000,000 cases the machine used about 5 GB more while the two ran. So the child is started
only when the machine has as much memory available as this process holds, within the limit of
its control group where it has one.

The child runs the given work and nothing else, and leaves through `os._exit`: no exit
handlers, no flushing of buffers it inherited, and it never closes the parent's database or
HTTP connections. Its error is raised again in the parent, the same exception (so a full disk
reads as it always has), with the child's traceback as a note.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from permanence.errors import ReportError

FAILURE_TEXT_LIMIT = 8_000
"""Characters of the child's traceback passed back: its last frames are what says why."""


def room_beside() -> bool:
    """True where a forked child can write beside this process: Linux, more than one core, and
    as much memory available as this process holds."""
    return (sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) > 1
            and memory_available() >= memory_held())


def memory_held() -> int:
    """Bytes of memory this process has resident."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_available(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """Bytes the machine can give to new work without swapping (the kernel's MemAvailable),
    and no more than this process's control group (cgroup v2) has left under its limit."""
    available = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
                break
    try:
        limit = (cgroup / "memory.max").read_text(encoding="ascii").strip()
        used = int((cgroup / "memory.current").read_text(encoding="ascii"))
    except (OSError, ValueError):
        return available  # no cgroup v2 memory controller here
    return available if limit == "max" else min(available, int(limit) - used)


@contextmanager
def written_beside(work: Callable[[], None], *, what: str) -> Iterator[None]:
    """Run `work` in a forked child while the body runs here; on leaving, wait for it and raise
    its error here (a ReportError naming `what` when the error cannot be rebuilt here, or the
    child died). If the body fails, the child is stopped and the body's error stands. Without
    room beside this process (`room_beside`), `work` runs here before the body."""
    if not room_beside():
        work()
        yield
        return
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that a fork of a process with threads (a Prefect flow run's) may
        # deadlock in the child on a lock another thread held. The child runs `work` on what
        # this thread built, writes files, and leaves with os._exit: it uses no connection,
        # flushes no stream, and Python itself renews logging's locks in a forked child.
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its effects are what the tests check
        os.close(reader)
        code = 0
        try:
            work()
        except BaseException as error:  # any failure goes back to the parent
            code = 1
            message = _passed_back(error)
            while message:
                message = message[os.write(writer, message):]
        finally:
            os._exit(code)
    os.close(writer)
    try:
        yield
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        with os.fdopen(reader, "rb") as pipe:
            failure = pipe.read()
        _, status = os.waitpid(pid, 0)
    if failure:
        raise _raised_again(failure, what)
    if os.WIFSIGNALED(status):
        raise ReportError(f"{what} failed: the process writing them was stopped by "
                          f"{signal.Signals(os.WTERMSIG(status)).name}")
    if os.waitstatus_to_exitcode(status) != 0:
        raise ReportError(f"{what} failed: the process writing them exited with code "
                          f"{os.waitstatus_to_exitcode(status)}")


def _passed_back(error: BaseException) -> bytes:
    """The child's error for the parent: its traceback's text, and the error itself pickled
    when it can be (None when not)."""
    text = "".join(traceback.format_exception(error))[-FAILURE_TEXT_LIMIT:]
    try:
        pickled: bytes | None = pickle.dumps(error)
    except Exception:  # an error of any kind that does not pickle
        pickled = None
    return pickle.dumps((text, pickled))


def _raised_again(failure: bytes, what: str) -> BaseException:
    """The child's error as the parent raises it: the same error where it unpickles, else a
    ReportError holding the child's traceback."""
    text, pickled = pickle.loads(failure)  # a str and bytes from our own child
    try:
        error: BaseException | None = pickle.loads(pickled) if pickled else None
    except Exception:  # an error class that cannot be built again here
        error = None
    if error is None:
        return ReportError(f"{what} failed in the process writing them beside this one:\n"
                           f"{text}")
    error.add_note(f"(raised in the process writing {what} beside this one)\n{text}")
    return error
