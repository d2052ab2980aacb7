"""Domain exceptions: each is a mistake a user can act on, turned into plain lines at the CLI
edge."""

from __future__ import annotations


class PermanenceError(Exception):
    """A problem the user can fix; `problems` holds one plain line per problem."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class RuleFileError(PermanenceError):
    """A rule file cannot be used; it is refused whole."""


class ImportRefused(PermanenceError):
    """A CSV file has bad rows; nothing was imported."""


class UnknownCase(PermanenceError):
    """A case_ref that the store does not hold."""


class UnknownMilestone(PermanenceError):
    """A milestone id that the case's timeline does not have."""


class BadInput(PermanenceError):
    """A command-line value that is malformed (a date, a format, a path)."""


class ReportError(PermanenceError):
    """The report could not be written where it was asked for."""


class CheckRefused(PermanenceError):
    """The daily check cannot run for this as-of date, or not now."""


class MappingFileError(PermanenceError):
    """A mapping file (how a source system's export reads as the engine's CSV) cannot be
    used; it is refused whole."""
