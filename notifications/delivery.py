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

from permanence.config import DELIVERY_TIMEOUT

from .digest import Digest, fit_body

if sys.version_info < (3, 13):  # pragma: no branch
    # apprise's email plugin imports pgpy, which imports the stdlib's deprecated `imghdr`
    # (apprise/utils/pgp.py). Under warnings-as-errors that import fails inside apprise's lazy
    # plugin loading, so import it once here, with only that deprecation silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        import imghdr  # noqa: F401  (imported for that side effect)

import apprise
from apprise.plugins import N_MGR
from apprise.result import AppriseResultStatus
from apprise.utils.cwe312 import cwe312_word
from apprise.utils.parse import is_hostname

_SCHEMA = re.compile(r"^\s*(?P<schema>[a-z0-9][a-z0-9+.-]*)://", re.IGNORECASE)
_USERINFO = re.compile(r"^(?P<head>[^:/?#]+://)(?P<user>[^:@/?#]*):(?P<password>[^@/?#]*)@")
# The port as written (apprise reads port 0 as no port at all).
_PORT = re.compile(r"^[^:/?#]+://(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::(?P<port>\d+))?")
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

# The parts of a URL between its delimiters: user, password, host, port, path segments.
_PART = re.compile(r"[^/:@?&=#]+")
_EMAIL = re.compile(r"[^@\s/]+@[^@\s/]+\.[^@\s/]+")


def _masked(part: str) -> str:
    """A secret part as apprise shows it: first and last character, or `****` when short."""
    return f"{part[0]}...{part[-1]}" if len(part) >= 8 else MASK


def _secret_parts(url: str) -> tuple[set[str], str | None]:
    """The parts of `url` that must not be shown, and its password.

    apprise knows, service by service, which parts of its URLs are secrets (tokens, keys,
    webhook ids, passwords) and masks them in its privacy form (`url(privacy=True)`): a part
    that is not shown there as written is a secret here. Query values are kept when they are
    email addresses and their key does not look secret. For a URL apprise cannot load, only
    what looks like a token (long or mixed) is taken for a secret."""
    match = _USERINFO.match(url)
    password = unquote(match["password"]) if match else None
    body = url[url.index("://") + 3:] if "://" in url else url
    if match:
        body = f"{match['user']}@{url[match.end():]}"
    address, _, query = body.partition("?")
    query, _, fragment = query.partition("#")
    address += "#" + fragment
    pairs = [(key, unquote(value)) for key, _, value in
             (pair.partition("=") for pair in query.split("&")) if value]
    parts = {unquote(part) for part in _PART.findall(address)} | {value for _, value in pairs}
    keyed = {value for key, value in pairs if _SECRET_KEYS.search(key)}  # ?token=, ?sig= ...
    notifier = _loaded(url)
    if notifier is None:
        return {part for part in parts if _mask_word(part) != part} | keyed, password
    shown = set(_PART.findall(unquote(notifier[0].url(privacy=True))))
    emails = {value for key, value in pairs if _EMAIL.fullmatch(value)}
    secrets = ({part for part in parts if part not in shown} - emails) | keyed
    return secrets, password


def _mask_word(word: str) -> str:
    """apprise's CWE-312 test of one part: token-like words (long, or mixed letters, digits
    and symbols) come back masked, plain names unchanged."""
    return word if not word else str(cwe312_word(word, advanced=True))


def redact_url(url: str) -> str:
    """The URL as its owner wrote it, with every part apprise would hide masked (see
    `_secret_parts`) and the password always `****`: safe to print, log and store. Readable
    hosts, ports, paths and email addresses stay, so the owner can tell which URL it is. Text
    that is no URL at all is shown as `****`."""
    url = url.strip()
    schema = _SCHEMA.match(url)
    if schema is None:
        return MASK
    secrets, password = _secret_parts(url)
    head, rest = url[:schema.end()], url[schema.end():]
    if password is not None:
        rest = _USERINFO.sub(lambda m: f"{m['head']}{m['user']}:{MASK}@", url,
                             count=1)[schema.end():]

    def hide(match: re.Match[str]) -> str:
        part = unquote(match.group())
        return _masked(part) if part in secrets else match.group()

    return head + _PART.sub(hide, rest)


def _scrub(text: str, url: str) -> str:
    """A reason apprise gave, with every secret part of the URL masked, whatever it logged."""
    secrets, password = _secret_parts(url.strip())
    for secret in sorted(secrets | ({password} if password else set()), key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text


# Loading a URL -------------------------------------------------------------------------------


def _loaded(url: str) -> apprise.Apprise | None:
    """An Apprise holding just this URL, or None when apprise cannot load it."""
    if _SCHEMA.match(url) is None:
        return None
    notifier = apprise.Apprise()
    # A list, not a bare string: apprise splits a string on commas and spaces.
    return notifier if notifier.add([url]) and len(notifier) == 1 else None


def _load(url: str) -> tuple[apprise.Apprise | None, str | None]:
    """An Apprise holding just this URL, or None and the reason it cannot be used."""
    schema = _SCHEMA.match(url)
    if schema is None:
        return None, "not a URL (expected scheme://...)"
    with _apprise_reasons() as lines:
        notifier = _loaded(url)
    if notifier is not None:
        return (None, impossible) if (impossible := _impossible_address(notifier, url)) else (
            notifier, None)
    if schema["schema"].lower() not in N_MGR:
        return None, f"unsupported scheme '{schema['schema'].lower()}'"
    # apprise says why first, then "Could not load <URL>"; the why is the reason.
    return None, _scrub(_reason(lines[:1], "apprise cannot load this URL"), url)


def _impossible_address(notifier: apprise.Apprise, url: str) -> str | None:
    """Why a service that sends to a host of the owner's choosing could never reach it: a port
    outside 1-65535 or a host that is no host name or address (apprise accepts both)."""
    service = notifier[0]
    if "host" not in type(service).template_tokens:
        return None  # the "host" of such a URL is a token (Slack, Telegram...), not an address
    written = _PORT.match(url)
    port = written["port"] if written and written["port"] else service.port
    if port is not None and not 1 <= int(port) <= 65535:
        return f"port {port} is not a port number (1 to 65535)"
    if not is_hostname(str(service.host), ipv4=True, ipv6=True, underscore=True):
        return "its host is not a host name or an IP address"
    return None


def check_url(url: str) -> str | None:
    """None when apprise can load `url`, else the reason in a few plain words."""
    return _load(url)[1]


def deliver(urls: Sequence[str], digest: Digest, *,
            timeout: float = DELIVERY_TIMEOUT) -> DeliveryResult:
    """Send `digest` to each URL separately, giving each at most `timeout` seconds (a channel
    that hangs must not hold up everyone else's digest); every failure is a line, never an
    exception."""
    failures: list[str] = []
    for url in urls:
        reason = _send(url, digest, timeout)
        if reason is not None:
            failures.append(f"{redact_url(url)}: {reason}")
    return DeliveryResult(ok=not failures, failures=tuple(failures))


def _send(url: str, digest: Digest, timeout: float) -> str | None:
    """None when `url` took the digest, else why not."""
    notifier, reason = _load(url)
    if notifier is None:
        return reason
    service = notifier[0]
    # What the channel accepts: a service without titles (Telegram) counts the title in.
    limit = int(service.body_maxlen) - (0 if service.title_maxlen else len(digest.title) + 2)
    try:
        with notifier.notify(
            body=fit_body(digest.body, limit),
            title=digest.title,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=timeout,
        ) as outcome:  # an AppriseResult; closing it frees any log it kept on disk
            if outcome:
                return None
            if outcome.status == AppriseResultStatus.TIMEOUT:
                within = f" within {timeout:g} s" if timeout else " in time"
                return f"no answer{within}; the channel may be down or too slow"
            lines = [entry.message for entry in outcome.logs()]
    except Exception as error:
        lines = [f"{type(error).__name__}: {error}"]
    return _scrub(_reason(lines, "apprise reported a failure without a reason"), url)
