"""Send a digest to a lead's apprise URLs, one URL at a time, and say plainly which failed.

`deliver` gives every URL its own `apprise.Apprise()` so each URL's result is known, and never
raises for a delivery problem: a bad URL, a refused connection or an HTTP error becomes one line
in `DeliveryResult.failures`, `"<redacted url>: <reason>"`. The reason is the warning or error
apprise gave while trying: for a send, the log entries apprise 2 keeps in the `AppriseResult` of
that call (it sends from worker threads, so its logger is no use here); for loading a URL, what
the `apprise` logger said in the calling thread. Passwords and other private URL parts are
masked in both halves of the line, so the line can go into run history and logs. The caller
(the daily drift check) keeps failed deliveries and tries them again on the next run.

Digests are sent as plain text (`body_format=text`): apprise then escapes them and keeps the line
breaks for channels that want HTML, such as email.

`check_url` tells whether apprise can load a URL at all, for validating a leads file before
anything is sent.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote

from .digest import Digest

if sys.version_info < (3, 13):  # pragma: no branch
    # apprise's email plugin imports pgpy, which imports the stdlib's deprecated `imghdr`
    # (apprise/utils/pgp.py). Under warnings-as-errors that import fails inside apprise's lazy
    # plugin loading, so import it once here, with only that deprecation silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        import imghdr  # noqa: F401

import apprise  # noqa: E402  (after the imghdr import above)
from apprise.plugins import N_MGR  # noqa: E402  (apprise's registry of loaded plugins)
from apprise.utils.cwe312 import cwe312_word  # noqa: E402
from apprise.utils.parse import is_hostname  # noqa: E402

_SCHEMA = re.compile(r"^\s*(?P<schema>[a-z0-9][a-z0-9+.-]*)://", re.IGNORECASE)
_USERINFO = re.compile(r"^(?P<head>[^:/?#]+://)(?P<user>[^:@/?#]*):(?P<password>[^@/?#]*)@")
_SECRET_KEYS = re.compile(r"pass|secret|token|key|auth|sig", re.IGNORECASE)
MASK = "****"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome of one digest to one lead's URLs: ok only when every URL took it."""

    ok: bool
    failures: tuple[str, ...]  # one plain line per URL that failed: "<redacted url>: <reason>"


# Capturing apprise's reasons -----------------------------------------------------------------


class _ThreadCapture(logging.Handler):
    """Keeps apprise's warnings and errors raised by one thread, not by others at the same time."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


@contextmanager
def _apprise_reasons() -> Iterator[list[str]]:
    """Collect what the `apprise` logger says at WARNING or above in this thread."""
    handler = _ThreadCapture()
    logger = logging.getLogger(apprise.LOGGER_NAME)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def _reason(lines: Sequence[str], fallback: str) -> str:
    """apprise's distinct messages as one line, without the full stops between them."""
    seen: list[str] = []
    for line in lines:
        text = " ".join(line.split()).replace("., ", ", ").rstrip(".")
        if text and text not in seen:
            seen.append(text)
    return "; ".join(seen) if seen else fallback


# Redaction -----------------------------------------------------------------------------------


def _mask_word(word: str, *, strict: bool = False) -> str:
    """apprise's CWE-312 masking of one URL part: token-like words become `t...n`.

    Not strict: short plain names stay readable, anything of 16 characters or more is masked.
    Strict also masks mixed-case or mixed-symbol words, as apprise does for user names."""
    return word if not word else str(cwe312_word(unquote(word), advanced=strict))


def redact_url(url: str) -> str:
    """The URL as its owner wrote it, with the private parts masked: the password (`****`),
    secret-looking query values (`****`), and token-like user names, hosts and path parts
    (webhook keys, bot tokens). Readable hosts, paths and email addresses stay."""
    head, sep, rest = url.strip().partition("://")
    if not sep:
        return _mask_word(url, strict=True)
    rest, hash_sep, fragment = rest.partition("#")
    rest, query_sep, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        userinfo = _mask_word(user, strict=True) + (f":{MASK}" if colon else "")
    port_match = re.fullmatch(r"(?P<host>.*?)(?P<port>:\d+)?", hostport)
    assert port_match is not None  # the pattern matches any string
    host = unquote(port_match["host"])
    readable = is_hostname(host, ipv4=True, ipv6=True, underscore=True)
    hostport = (host if readable else _mask_word(host)) + (port_match["port"] or "")
    path = "/".join(_mask_word(part) for part in path.split("/"))
    if query:
        pairs = (pair.partition("=") for pair in query.split("&"))
        query = "&".join(
            f"{key}{eq}{MASK if value and _SECRET_KEYS.search(key) else value}"
            for key, eq, value in pairs
        )
    return f"{head}{sep}{userinfo}{at}{hostport}{slash}{path}{query_sep}{query}{hash_sep}{fragment}"


def _scrub(text: str, url: str) -> str:
    """Belt and braces: a URL's password never appears in a reason, whatever apprise logged."""
    match = _USERINFO.match(url.strip())
    if match is None:
        return text
    for secret in {match["password"], unquote(match["password"])}:
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text


# Loading a URL -------------------------------------------------------------------------------


def _load(url: str) -> tuple[apprise.Apprise | None, str | None]:
    """An Apprise holding just this URL, or None and the reason it cannot be loaded."""
    schema = _SCHEMA.match(url)
    if schema is None:
        return None, "not a URL (expected scheme://...)"
    with _apprise_reasons() as lines:
        notifier = apprise.Apprise()
        # A list, not a bare string: apprise splits a string on commas and spaces.
        loaded = notifier.add([url])
    if loaded and len(notifier) == 1:
        return notifier, None
    if schema["schema"].lower() not in N_MGR:
        return None, f"unsupported scheme '{schema['schema'].lower()}'"
    # apprise says why first, then "Could not load <URL>"; the why is the reason.
    return None, _scrub(_reason(lines[:1], "apprise cannot load this URL"), url)


def check_url(url: str) -> str | None:
    """None when apprise can load `url`, else the reason in a few plain words."""
    return _load(url)[1]


def deliver(urls: Sequence[str], digest: Digest) -> DeliveryResult:
    """Send `digest` to each URL separately; every failure is a line, never an exception."""
    failures: list[str] = []
    for url in urls:
        reason = _send(url, digest)
        if reason is not None:
            failures.append(f"{redact_url(url)}: {reason}")
    return DeliveryResult(ok=not failures, failures=tuple(failures))


def _send(url: str, digest: Digest) -> str | None:
    """None when `url` took the digest, else why not."""
    notifier, reason = _load(url)
    if notifier is None:
        return reason
    try:
        with notifier.notify(
            body=digest.body,
            title=digest.title,
            body_format=apprise.NotifyFormat.TEXT,
        ) as outcome:  # an AppriseResult; closing it frees any log it kept on disk
            if outcome:
                return None
            lines = [entry.message for entry in outcome.logs()]
    except Exception as error:  # noqa: BLE001  (a plugin bug must not stop everyone's digest)
        lines = [f"{type(error).__name__}: {error}"]
    return _scrub(_reason(lines, "apprise reported a failure without a reason"), url)
