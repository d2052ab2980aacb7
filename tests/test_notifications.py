"""The notification edge: digests rendered from templates, delivered through apprise.

Deliveries go to real local servers: an HTTP receiver for apprise's json:// URLs and an SMTP
server (aiosmtpd) for mailto:// URLs, both on 127.0.0.1 with ephemeral ports.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import socket
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings
from hypothesis import strategies as st

from permanence.notifications.delivery import DeliveryResult, check_url, deliver, redact_url
from permanence.notifications.digest import (
    TEMPLATES_ENV,
    Digest,
    DigestItem,
    DigestTemplateError,
    fit_body,
    render_digest,
)
from permanence.webhook_receiver import JsonReceiver

AS_OF = date(2026, 11, 16)

OVERDUE_4 = DigestItem(
    case_ref="C-1001",
    milestone_title="Legal advice received",
    due=date(2026, 11, 12),
    status="red",
    days_overdue=4,
    reason="overdue",
    also_told=("Priya Shah",),
)
OVERDUE_1 = DigestItem(
    case_ref="C-1004",
    milestone_title="Looked after review",
    due=date(2026, 11, 15),
    status="red",
    days_overdue=1,
    reason="overdue",
)
ESCALATED = DigestItem(
    case_ref="C-1002",
    milestone_title="Permanence panel",
    due=date(2026, 10, 1),
    status="red",
    days_overdue=46,
    reason="escalated",
    tier=2,
    owner="Jo Smith",
    also_told=("Priya Shah", "Legal Services"),
)
DUE_SOON_LATER = DigestItem(
    case_ref="C-1005",
    milestone_title="Placement plan agreed",
    due=date(2026, 11, 25),
    status="amber",
    days_overdue=None,
    reason="due_soon",
)
DUE_SOON_SOONER = DigestItem(
    case_ref="C-1003",
    milestone_title="Child's views recorded",
    due=date(2026, 11, 18),
    status="amber",
    days_overdue=None,
    reason="due_soon",
)
ALL_ITEMS = [DUE_SOON_LATER, OVERDUE_1, ESCALATED, DUE_SOON_SOONER, OVERDUE_4]


def body_item_lines(digest: Digest) -> list[str]:
    """The body without its greeting and closing lines."""
    return digest.body.splitlines()[1:-1]


def free_port() -> int:
    """A port nothing listens on (bound by the OS, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    with JsonReceiver() as running:
        yield running


class _Mailbox:
    """An aiosmtpd handler that keeps each message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]  # aiosmtpd's Envelope
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[attr-defined]
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    """A real SMTP server on 127.0.0.1: no TLS, no authentication."""
    mailbox = _Mailbox()
    # aiosmtpd 1.4's Controller cannot take port 0 (it connects to itself to check it is up).
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


class TestRenderDigestTitle:
    """The title counts items per reason, most urgent first, and leaves zero counts out."""

    def test_counts_every_reason(self) -> None:
        digest = render_digest(recipient_name="Sam Patel", items=ALL_ITEMS, as_of=AS_OF)
        assert digest.title == "2 overdue, 1 escalated to you, 2 due soon"

    def test_leaves_out_reasons_with_no_items(self) -> None:
        digest = render_digest(recipient_name="Sam Patel", items=[DUE_SOON_LATER], as_of=AS_OF)
        assert digest.title == "1 due soon"

    def test_escalations_alone(self) -> None:
        digest = render_digest(recipient_name="Team Leader", items=[ESCALATED], as_of=AS_OF)
        assert digest.title == "1 escalated to you"


class TestRenderDigestBody:
    """A greeting, one line per item (overdue by days overdue, most first; then escalations;
    then due soon by due date), and the as-of date; plain text, one item per line."""

    def test_whole_body(self) -> None:
        digest = render_digest(recipient_name="Sam Patel", items=ALL_ITEMS, as_of=AS_OF)
        assert digest.body == (
            "Hello Sam Patel,\n"
            "C-1001 | Legal advice received | due 2026-11-12 | red, 4 days overdue"
            " | also told: Priya Shah\n"
            "C-1004 | Looked after review | due 2026-11-15 | red, 1 day overdue\n"
            "C-1002 | Permanence panel | due 2026-10-01 | red, 46 days overdue"
            " | escalated to you (tier 2), owner Jo Smith | no reason given yet"
            " | also told: Priya Shah, Legal Services\n"
            "C-1003 | Child's views recorded | due 2026-11-18 | amber\n"
            "C-1005 | Placement plan agreed | due 2026-11-25 | amber\n"
            "Status as of 2026-11-16."
        )

    def test_order_does_not_depend_on_input_order(self) -> None:
        forward = render_digest(recipient_name="S", items=ALL_ITEMS, as_of=AS_OF)
        backward = render_digest(recipient_name="S", items=ALL_ITEMS[::-1], as_of=AS_OF)
        assert forward == backward
        refs = [line.split(" | ")[0] for line in body_item_lines(forward)]
        assert refs == ["C-1001", "C-1004", "C-1002", "C-1003", "C-1005"]

    def test_escalations_most_overdue_first(self) -> None:
        newer = dataclasses.replace(ESCALATED, case_ref="C-2000", days_overdue=3, tier=1)
        digest = render_digest(recipient_name="S", items=[newer, ESCALATED], as_of=AS_OF)
        assert [line[:6] for line in body_item_lines(digest)] == ["C-1002", "C-2000"]

    def test_no_items_is_the_callers_job(self) -> None:
        with pytest.raises(ValueError, match="with nothing new, send nothing"):
            render_digest(recipient_name="S", items=[], as_of=AS_OF)

    def test_unknown_reason_is_refused(self) -> None:
        odd = dataclasses.replace(OVERDUE_1, reason="late")
        with pytest.raises(ValueError, match=r"unknown digest reason\(s\) \['late'\]"):
            render_digest(recipient_name="S", items=[odd], as_of=AS_OF)


class TestTemplateOverrides:
    """A service's template folder (template_dir, else $PERMANENCE_TEMPLATES) is searched
    before the built-in templates; a template it does not hold falls back to the built-in one."""

    def test_template_dir_wins_and_falls_back(self, tmp_path: Path) -> None:
        (tmp_path / "digest_title.txt.j2").write_text(
            "Permanence: {{ counts.overdue }} overdue for {{ recipient_name }}\n"
        )
        digest = render_digest(
            recipient_name="Sam", items=[OVERDUE_4], as_of=AS_OF, template_dir=tmp_path
        )
        assert digest.title == "Permanence: 1 overdue for Sam"
        assert digest.body.startswith("Hello Sam,\nC-1001 | Legal advice received")

    def test_environment_variable(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / "digest_body.txt.j2").write_text(
            "{% for item in items %}{{ item.case_ref }} {{ item.status }}\n{% endfor %}"
        )
        monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path))
        digest = render_digest(recipient_name="Sam", items=ALL_ITEMS, as_of=AS_OF)
        assert digest.body == "C-1001 red\nC-1004 red\nC-1002 red\nC-1003 amber\nC-1005 amber"
        assert digest.title == "2 overdue, 1 escalated to you, 2 due soon"

    def test_template_dir_beats_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "env").mkdir()
        (tmp_path / "env" / "digest_title.txt.j2").write_text("from the environment")
        (tmp_path / "arg").mkdir()
        (tmp_path / "arg" / "digest_title.txt.j2").write_text("from the argument")
        monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path / "env"))
        digest = render_digest(
            recipient_name="S", items=[OVERDUE_1], as_of=AS_OF, template_dir=tmp_path / "arg"
        )
        assert digest.title == "from the argument"

    def test_missing_folder_is_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(TEMPLATES_ENV, str(tmp_path / "nowhere"))
        with pytest.raises(DigestTemplateError) as refused:
            render_digest(recipient_name="S", items=[OVERDUE_1], as_of=AS_OF)
        assert refused.value.problems == [
            (f"template folder {tmp_path / 'nowhere'} (from {TEMPLATES_ENV}) is not a folder; "
            "create it or point it at the folder holding your digest templates")
        ]

    def test_broken_override_names_its_file_and_line(self, tmp_path: Path) -> None:
        (tmp_path / "digest_title.txt.j2").write_text("ok\n{% if %}")
        with pytest.raises(DigestTemplateError, match=r"digest_title\.txt\.j2, line 2: "):
            render_digest(recipient_name="S", items=[OVERDUE_1], as_of=AS_OF, template_dir=tmp_path)


class TestPrivacy:
    """A message never carries a child's name or date of birth: a DigestItem has no field for
    them, an override cannot reach one, and the body holds only the listed fields."""

    def test_digest_item_has_only_the_listed_fields(self) -> None:
        names = [field.name for field in dataclasses.fields(DigestItem)]
        assert names == [
            "case_ref",
            "milestone_title",
            "due",
            "status",
            "days_overdue",
            "reason",
            "tier",
            "owner",
            "also_told",
            "planned_for",
            "sibling_group",
            "why",
            "next_action",
            "next_by",
        ]

    def test_override_cannot_reach_a_childs_name(self, tmp_path: Path) -> None:
        (tmp_path / "digest_body.txt.j2").write_text(
            "{% for item in items %}{{ item.child_name }}{% endfor %}"
        )
        with pytest.raises(DigestTemplateError, match="has no attribute 'child_name'"):
            render_digest(recipient_name="S", items=[OVERDUE_1], as_of=AS_OF, template_dir=tmp_path)

    def test_body_holds_only_the_listed_fields(self) -> None:
        # What the flow holds about each case; only some of it may reach a DigestItem.
        cases = {
            "C-1001": {"child_name": "Ava Thompson", "date_of_birth": "2019-03-02"},
            "C-1002": {"child_name": "Leo O'Neill", "date_of_birth": "2021-07-30"},
        }
        items = [
            dataclasses.replace(OVERDUE_4, case_ref="C-1001"),
            dataclasses.replace(ESCALATED, case_ref="C-1002"),
            dataclasses.replace(DUE_SOON_SOONER, case_ref="C-1002"),
        ]
        digest = render_digest(recipient_name="Sam Patel", items=items, as_of=AS_OF)

        text = f"{digest.title}\n{digest.body}"
        for case in cases.values():
            for private in (*case["child_name"].split(), case["date_of_birth"]):
                assert private not in text

        # Every word of the message is template wording or comes from a listed field.
        wording = {
            *["Hello", "due", "day", "days", "overdue", "escalated", "to", "you", "tier", "owner"],
            *["also", "told", "Status", "as", "of", "soon", "red", "amber", "no", "reason",
              "given", "yet"],
        }
        counts = {str(n) for n in range(1, len(items) + 1)}  # the title's counts
        from_fields = {"Sam", "Patel", AS_OF.isoformat(), *counts}
        for item in items:
            from_fields |= {item.case_ref, item.status, str(item.days_overdue), str(item.tier)}
            from_fields |= {item.due.isoformat() if item.due else ""}
            for phrase in (item.milestone_title, item.owner or "", *item.also_told):
                from_fields |= set(re.findall(r"[\w'-]+", phrase))
        words = set(re.findall(r"[\w'-]+", text))
        assert words - wording - from_fields == set()


class TestJsonReceiver:
    """The receiver keeps each JSON object posted to it with its path, in arrival order;
    with `fail` set it answers 500 and keeps nothing; it frees its port on exit."""

    def post(self, receiver: JsonReceiver, path: str, body: bytes) -> int:
        request = Request(f"http://127.0.0.1:{receiver.port}/{path}", data=body, method="POST")
        try:
            with urlopen(request, timeout=5) as response:
                return int(response.status)
        except HTTPError as error:
            error.close()
            return error.code

    def test_keeps_messages_in_order(self, receiver: JsonReceiver) -> None:
        assert receiver.url_for("/sw-1/") == f"json://127.0.0.1:{receiver.port}/sw-1"
        assert self.post(receiver, "sw-1", b'{"n": 1}') == 200
        assert self.post(receiver, "tl/north?x=1", b'{"n": 2}') == 200
        assert receiver.messages == [("sw-1", {"n": 1}), ("tl/north", {"n": 2})]
        assert receiver.messages_for("tl/north") == [{"n": 2}]

    def test_fail_answers_500_and_keeps_nothing(self, receiver: JsonReceiver) -> None:
        receiver.fail = True
        assert self.post(receiver, "sw-1", b'{"n": 1}') == 500
        assert receiver.messages == []

    def test_refuses_what_is_not_a_json_object(self, receiver: JsonReceiver) -> None:
        assert self.post(receiver, "sw-1", b"not json") == 400
        assert self.post(receiver, "sw-1", b"[1, 2]") == 400
        assert receiver.messages == []

    def test_frees_its_port_on_exit(self) -> None:
        with JsonReceiver() as receiver:
            port = receiver.port
        with pytest.raises(URLError), urlopen(f"http://127.0.0.1:{port}/", timeout=5):
            pass


class TestDeliverJson:
    """Each URL is sent to on its own; a URL that fails is one line "<redacted url>: <reason>",
    and `ok` holds only when every URL took the digest. Problems never raise."""

    digest = render_digest(recipient_name="Sam Patel", items=ALL_ITEMS, as_of=AS_OF)

    def test_success_posts_apprise_json_payload(self, receiver: JsonReceiver) -> None:
        result = deliver([receiver.url_for("sw-1")], self.digest)
        assert result == DeliveryResult(ok=True, failures=())
        assert receiver.messages == [
            (
                "sw-1",
                {
                    "version": "1.0",
                    "title": self.digest.title,
                    "message": self.digest.body,
                    "attachments": [],
                    "type": "info",
                },
            )
        ]

    def test_receiver_answering_500_is_a_failure_with_its_reason(
        self, receiver: JsonReceiver
    ) -> None:
        receiver.fail = True
        url = receiver.url_for("sw-1")
        result = deliver([url], self.digest)
        assert result == DeliveryResult(
            ok=False,
            failures=(
                f"{url}: Failed to send JSON POST notification: Internal server error, error=500",
            ),
        )

    def test_connection_refused_is_a_failure(self) -> None:
        url = f"json://127.0.0.1:{free_port()}/sw-1"
        result = deliver([url], self.digest)
        assert result == DeliveryResult(
            ok=False,
            failures=(
                f"{url}: A Connection error occurred sending JSON notification to 127.0.0.1",
            ),
        )

    def test_one_failing_url_among_several(self, receiver: JsonReceiver) -> None:
        with JsonReceiver() as down:
            down.fail = True
            urls = [receiver.url_for("sw-1"), down.url_for("sw-1"), receiver.url_for("tl-1")]
            result = deliver(urls, self.digest)
        assert not result.ok
        assert len(result.failures) == 1
        assert result.failures[0].startswith(f"{urls[1]}: ")
        assert [path for path, _ in receiver.messages] == ["sw-1", "tl-1"]

    def test_password_is_redacted(self) -> None:
        port = free_port()
        result = deliver([f"json://lead:hunter2secret@127.0.0.1:{port}/sw-1"], self.digest)
        assert result.failures == (
            (f"json://lead:****@127.0.0.1:{port}/sw-1: "
            "A Connection error occurred sending JSON notification to 127.0.0.1"),
        )

    def test_bad_urls_are_failures_not_exceptions(self, receiver: JsonReceiver) -> None:
        result = deliver(["foo://x:pw1234@host/p", "nonsense", receiver.url_for("ok")], self.digest)
        assert result.failures == (
            "foo://x:****@host/p: unsupported scheme 'foo'",
            "****: not a URL (expected scheme://...)",
        )
        assert len(receiver.messages) == 1

    def test_a_channel_that_hangs_fails_after_the_timeout(self, receiver: JsonReceiver) -> None:
        """The receiver never answers and the URL's own read timeout is a minute: the delivery
        still ends after the timeout given, as a failure saying so."""
        receiver.answering.clear()
        url = receiver.url_for("sw-1") + "?rto=60"
        result = deliver([url], self.digest, timeout=1)
        assert result.failures == (
            f"{redact_url(url)}: no answer within 1 s; the channel may be down or too slow",)

    def test_no_urls_is_ok(self) -> None:
        assert deliver([], self.digest) == DeliveryResult(ok=True, failures=())


class TestDeliverEmail:
    """mailto:// to a plain SMTP server (no TLS, no login) delivers the digest title as the
    subject and its lines, unchanged, as the plain-text part."""

    def test_digest_arrives_by_email(self, smtp: tuple[int, _Mailbox]) -> None:
        port, mailbox = smtp
        digest = render_digest(recipient_name="Sam Patel", items=ALL_ITEMS, as_of=AS_OF)
        url = f"mailto://127.0.0.1:{port}?from=tracker@example.org&to=sw@example.org"
        assert deliver([url], digest) == DeliveryResult(ok=True, failures=())

        [(sender, recipients, message)] = mailbox.messages
        assert (sender, recipients) == ("tracker@example.org", ["sw@example.org"])
        assert message["Subject"] == digest.title == "2 overdue, 1 escalated to you, 2 due soon"
        plain = message.get_body(preferencelist=("plain",))
        assert plain is not None
        assert plain.get_content().replace("\r\n", "\n").strip() == digest.body

    def test_smtp_server_down_is_a_failure(self) -> None:
        port = free_port()
        url = f"mailto://127.0.0.1:{port}?from=tracker@example.org&to=sw@example.org"
        result = deliver([url], Digest(title="t", body="b"))
        assert result.failures == (
            f'{url}: Connection error while submitting email to "127.0.0.1"',
        )


class TestCheckUrl:
    """None when apprise can load a URL; otherwise the reason, in a few plain words."""

    @pytest.mark.parametrize(
        "url",
        [
            "json://127.0.0.1:8080/sw-1",
            "mailto://127.0.0.1:2525?from=tracker@example.org&to=sw@example.org",
            "mailtos://user:pass@smtp.example.org?from=tracker@example.org",
            # Teams' Workflows webhook, the README's channel for Teams (msteams:// is gone).
            "workflows://prod-00.westus.logic.azure.com:443/abcdefghij1234567890/?sig=ABCDEFGHIJ",
        ],
    )
    def test_good_urls(self, url: str) -> None:
        assert check_url(url) is None

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("foo://bar", "unsupported scheme 'foo'"),
            ("msteams://team/a/b/c", "unsupported scheme 'msteams'"),
            ("sw@example.org", "not a URL (expected scheme://...)"),
            ("mailto://127.0.0.1?from=nobody", "Invalid ~From~ email specified: nobody <>"),
            ("json://127.0.0.1:99999/sw-1", "port 99999 is not a port number (1 to 65535)"),
            ("mailto://127.0.0.1:0?from=a@example.org&to=b@example.org",
             "port 0 is not a port number (1 to 65535)"),
        ],
    )
    def test_bad_urls(self, url: str, reason: str) -> None:
        assert check_url(url) == reason


class TestRedactUrl:
    """Passwords and secret-looking values are masked; hosts, paths and addresses stay."""

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            (
                "mailto://tracker:Pa55word@smtp.example.org:587?from=a@example.org",
                "mailto://tracker:****@smtp.example.org:587?from=a@example.org",
            ),
            ("jsons://hooks.example.org/in?token=ab12", "jsons://hooks.example.org/in?token=****"),
            (
                "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
                "slack://T...2/A...D/T...Q/#general",
            ),
            ("gotify://127.0.0.1:9/AbCdEfGhIj123", "gotify://127.0.0.1:9/A...3"),
            ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://4...8/J...s"),
            ("ntfy://user:pw1234@127.0.0.1:9/topic", "ntfy://user:****@127.0.0.1:9/topic"),
            (
                "workflows://prod-00.westus.logic.azure.com:443/abcdefghij1234567890/?sig=ABCDEFGHIJ",
                "workflows://prod-00.westus.logic.azure.com:443/a...0/?sig=A...J",
            ),
            ("not a url at all", "****"),
            ("json://127.0.0.1:8080/sw-north-1", "json://127.0.0.1:8080/sw-north-1"),
        ],
    )
    def test_masks_private_parts(self, url: str, shown: str) -> None:
        assert redact_url(url) == shown



# Every secret part of a URL of each kind, as apprise's own privacy form masks it.
SECRETS = [
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
     ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"]),
    ("gotify://127.0.0.1:9/AbCdEfGhIj123", ["AbCdEfGhIj123"]),
    ("tgram://123456789:AABBCCDDEEFFGGHHIIJJKKLLMMNNOOPPQQ/987654",
     ["123456789", "AABBCCDDEEFFGGHHIIJJKKLLMMNNOOPPQQ"]),
    ("pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi",
     ["uQiRzpo4DXghDmr9QzzfQu27cmVRsG", "azGDORePK8gMaC0QOYAMyEEuzJnyUi"]),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
     ["4174216298", "JHMHI8qBe7bk2ZwO5U711o3dV_js"]),
    ("ntfy://user:pw1234@127.0.0.1:9/topic", ["pw1234"]),
    ("json://lead:hunter2secret@127.0.0.1:9/sw-1?token=abc123", ["hunter2secret", "abc123"]),
]


class TestSecretsNeverShown:
    """For every kind of service, the parts apprise keeps private (tokens, keys, webhook ids,
    passwords) appear neither in the shown URL nor in a failed delivery's line."""

    @pytest.mark.parametrize(("url", "secrets"), SECRETS)
    def test_not_in_the_shown_url(self, url: str, secrets: list[str]) -> None:
        shown = redact_url(url)
        assert [secret for secret in secrets if secret in shown] == []

    @pytest.mark.parametrize(("url", "secrets"), SECRETS)
    def test_not_in_a_failed_delivery(self, url: str, secrets: list[str]) -> None:
        # Nothing answers: 127.0.0.1:9 refuses, and this machine reaches no outside host.
        result = deliver([url], Digest(title="t", body="b"))
        assert not result.ok
        line = "".join(result.failures)
        assert [secret for secret in secrets if secret in line] == [], line


class TestDigestTooLargeForItsChannel:
    """A digest longer than its channel accepts is cut to fit at a line break, saying how many
    lines were left out and where to see them: never refused whole."""

    def test_fit_body(self) -> None:
        body = "Hello Sam,\n" + "".join(f"C-{n} | Step | due 2026-11-20 | red\n\n"
                                        for n in range(100)) + "Status as of 2026-11-23."
        assert fit_body(body, len(body)) == body
        cut = fit_body(body, 1000)
        assert len(cut) <= 1000
        lines = cut.splitlines()
        assert lines[0] == "Hello Sam," and lines[-1] == "Status as of 2026-11-23."
        shown = sum(1 for line in lines if line.startswith("C-"))
        assert lines[-3] == (f"... and {100 - shown} more lines not shown here (this channel "
                             "takes 1,000 characters): see them with `permanence status` or in "
                             "today's report.")

    @settings(max_examples=300, deadline=None)
    @given(lines=st.lists(st.sampled_from(["", " ", "C-1 | Step | red", "Hello Sam,", "x" * 70]),
                          min_size=5, max_size=80),
           share=st.floats(min_value=0.0, max_value=1.1))
    def test_fit_body_as_worked_out_line_by_line(self, lines: list[str], share: float) -> None:
        """The cut is the one a plain reading gives: lines kept while, with the note counting
        the lines with text from there on and the footer, they fit."""
        body = "\n".join([*lines, "Status as of 2026-11-23."])
        limit = max(1, round(len(body) * share))

        def plainly(body: str, limit: int) -> str:
            if len(body) <= limit:
                return body
            *head, footer = body.rstrip("\n").split("\n")
            kept: list[str] = []
            for number, line in enumerate(head):
                left = len([rest for rest in head[number:] if rest.strip()])
                note = (f"... and {left} more line{'s' if left != 1 else ''} not shown here "
                        f"(this channel takes {limit:,} characters): see them with `permanence "
                        "status` or in today's report.")
                if len("\n".join([*kept, line])) + len(note) + len(footer) + 4 > limit:
                    while kept and not kept[-1].strip():
                        kept.pop()
                    text = "\n".join([*kept, "", note, "", footer]).lstrip("\n")
                    return text[:limit]
                kept.append(line)
            return body[:limit]

        assert fit_body(body, limit) == plainly(body, limit)

    def test_a_huge_digest_arrives_cut(self, receiver: JsonReceiver) -> None:
        items = [DigestItem(case_ref=f"C-{n:05d}", milestone_title="Legal advice received",
                            due=date(2026, 11, 1), status="red", days_overdue=22,
                            reason="overdue") for n in range(5000)]
        digest = render_digest(recipient_name="Sam Patel", items=items, as_of=AS_OF)
        assert len(digest.body) > 200_000
        assert deliver([receiver.url_for("sw-1")], digest).ok
        [payload] = receiver.messages_for("sw-1")
        assert len(payload["message"]) <= 32_768  # what apprise's json:// takes
        assert "more lines not shown here" in payload["message"]
        assert payload["title"] == digest.title
