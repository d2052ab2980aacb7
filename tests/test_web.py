"""The web page's HTTP logic through Starlette's TestClient, on SQLite and PostgreSQL: signing
in and out, sessions and their expiry, CSRF on every form, who may see which team, names only
for the accounts given them, single sign-on from a trusted proxy, and `permanence user`."""

from __future__ import annotations

import hashlib
import html
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import anyio
import pytest
from conftest import StoreTemplates
from sqlmodel import Session, select
from typer.testing import CliRunner

from permanence import store
from permanence.cli import app as cli
from permanence.errors import BadInput
from permanence.models import WebSession, utc_now
from permanence.timelines import load_timelines
from permanence.web import app as application
from permanence.web import auth
from permanence.web.auth import FORM_LIMIT, SESSION_COOKIE, hash_password
from permanence.web.server import web_app
from permanence.web.settings import WebSettings

with warnings.catch_warnings():
    # Starlette warns, on import, that its TestClient will move from httpx to httpx2, which
    # is not installed here; the client works the same, and the suite makes warnings errors.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

DAY = "2026-11-16"
BOARD = f"/days/{DAY}/"
PASSWORDS = {"tl-north": "north-leader-password", "sm-all": "service-manager-password",
             "sw-south-1": "south-worker-password"}
runner = CliRunner()


def load_store(db_url: str, examples: Path) -> str:
    """The sample caseload, leads with web accounts (tl-north: team north; sw-south-1: team
    south; sm-all: team `*`, with names; pa-panel: single sign-on only), and three days of
    daily checks' counts."""
    assert runner.invoke(cli, ["--db", db_url, "init"]).exit_code == 0
    for kind in ("leads", "cases", "events", "pauses", "extensions"):
        result = runner.invoke(cli, ["--db", db_url, "import", kind,
                                     str(examples / f"{kind}.csv")])
        assert result.exit_code == 0, result.output
    engine = store.make_engine(db_url)
    with Session(engine) as session, session.begin():
        for lead_id, password in PASSWORDS.items():
            store.save_account(session=session, lead_id=lead_id,
                               password_hash=hash_password(password),
                               with_names=lead_id == "sm-all")
        store.save_account(session=session, lead_id="pa-panel", password_hash=None,
                           with_names=False)
        for offset, (north, south) in enumerate([(3, 1), (5, 2), (4, 6)]):
            run = store.start_check_run(session=session, as_of=date(2026, 11, 14 + offset),
                                        flow_run_id=None)
            store.finish_check_run(session=session, check_run_id=run, summary={
                "by_team": {"north": {"red": north, "amber": 1, "green": 9},
                            "south": {"red": south, "amber": 2, "green": 7}}})
    engine.dispose()
    return db_url


@pytest.fixture
def web_store(db_url: str, examples: Path, store_templates: StoreTemplates) -> str:
    """A copy of the session's `load_store`: the argon2 hashes and the imports, once."""
    return store_templates.copy(db_url, "web", lambda url: load_store(url, examples))


def client_for(db_url: str, settings: WebSettings | None = None, peer: str = "testclient",
               mount: str = "", clock: Callable[[], datetime] = utc_now,
               ) -> Iterator[TestClient]:
    engine = store.make_engine(db_url)
    try:
        with TestClient(web_app(engine, load_timelines(), settings or WebSettings(), clock),
                        follow_redirects=False, client=(peer, 50000),
                        root_path=mount) as client:
            yield client
    finally:
        engine.dispose()


class Clock:
    """The time the page's sessions are measured by, moved on by the test: UTC now, then
    later by `advance`, so a session ends without the test waiting for it."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def client(web_store: str) -> Iterator[TestClient]:
    yield from client_for(web_store)


def form_token(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found, text
    return found.group(1)


def sign_in(client: TestClient, lead_id: str, password: str | None = None,
            board: bool = True) -> str:
    """Sign in through the form; returns the board's CSRF token for this session (with
    `board`, else "")."""
    token = form_token(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"csrf": token, "lead_id": lead_id,
                                           "password": password or PASSWORDS[lead_id]})
    assert answer.status_code == 303, answer.text
    return form_token(client.get(BOARD).text) if board else ""


class TestSigningIn:
    """Every page needs a signed-in lead; the password is checked against its argon2 hash,
    the session cookie is HttpOnly and SameSite=Lax, and the store keeps only its hash."""

    def test_pages_send_strangers_to_sign_in(self, client: TestClient) -> None:
        for path in (BOARD, f"{BOARD}teams/north/", f"{BOARD}cases/C-1001",
                     f"{BOARD}drift-over-time", f"{BOARD}measures.csv"):
            answer = client.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"] == f"/sign-in?next={path}"

    @pytest.mark.parametrize("case_ref", ["N#9", "N&next=//evil.example.org/", "N 50%+1",
                                          "N/2026/7"])
    def test_back_to_the_page_asked_for(self, client: TestClient, case_ref: str) -> None:
        """The page to return to goes in `?next=` encoded, so a case ref with #, &, % or +
        comes back as itself (the case need not exist: the address is what is checked)."""
        path = f"{BOARD}cases/{quote(case_ref, safe='')}"
        answer = client.get(path)
        assert answer.status_code == 303
        form = client.get(answer.headers["location"])
        after = re.search(r'name="next" value="([^"]*)"', form.text)
        assert after is not None
        answer = client.post("/sign-in", data={"csrf": form_token(form.text),
                                               "lead_id": "tl-north",
                                               "password": PASSWORDS["tl-north"],
                                               "next": html.unescape(after.group(1))})
        assert answer.status_code == 303
        assert unquote(answer.headers["location"]) == f"{BOARD}cases/{case_ref}"
        assert urlsplit(answer.headers["location"]).path == answer.headers["location"]

    def test_root_goes_to_today(self, client: TestClient) -> None:
        answer = client.get("/")
        assert answer.status_code == 303
        assert re.fullmatch(r"/days/\d{4}-\d{2}-\d{2}/", answer.headers["location"])

    def test_sign_in(self, client: TestClient, web_store: str) -> None:
        token = form_token(client.get("/sign-in").text)
        answer = client.post("/sign-in", data={"csrf": token, "lead_id": "tl-north",
                                               "password": PASSWORDS["tl-north"],
                                               "next": f"{BOARD}cases/C-1001"})
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{BOARD}cases/C-1001"
        cookie = next(header for header in answer.headers.get_list("set-cookie")
                      if header.startswith(f"{SESSION_COOKIE}="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        value = cookie.split(";")[0].split("=", 1)[1]
        engine = store.make_engine(web_store)
        with Session(engine) as session:
            kept = session.get(WebSession, hashlib.sha256(value.encode()).hexdigest())
            assert kept is not None and kept.lead_id == "tl-north"
            assert session.get(WebSession, value) is None
        engine.dispose()
        page = client.get(f"{BOARD}cases/C-1001")
        assert page.status_code == 200
        assert "Signed in as <b>Fraser Demo</b>" in page.text

    @pytest.mark.parametrize(("lead_id", "password"), [
        ("tl-north", "not-the-password"), ("nobody", "north-leader-password"),
        ("pa-panel", ""), ("pa-panel", "anything-at-all")])
    def test_refused_alike(self, client: TestClient, lead_id: str, password: str,
                           caplog: pytest.LogCaptureFixture) -> None:
        """A wrong password, an unknown lead and an account without a password are refused
        with the same words, so the form does not tell which lead ids have accounts; the log
        names the lead id tried and where from."""
        token = form_token(client.get("/sign-in").text)
        answer = client.post("/sign-in", data={"csrf": token, "lead_id": lead_id,
                                               "password": password})
        assert answer.status_code == 401
        assert "That lead id and password do not match an account." in answer.text
        assert client.get(BOARD).status_code == 303
        assert f"sign-in refused for lead id {lead_id!r} from testclient" in caplog.messages

    @pytest.mark.parametrize("lead_id", ["\x00", "tl-north\x00", "tl-\x1bnorth"])
    def test_control_characters_in_a_lead_id(self, client: TestClient, lead_id: str) -> None:
        """Refused as any unknown lead id, before the store is asked (PostgreSQL refuses a
        NUL in a string outright: that was a 500)."""
        token = form_token(client.get("/sign-in").text)
        answer = client.post("/sign-in", data={"csrf": token, "lead_id": lead_id,
                                               "password": PASSWORDS["tl-north"]})
        assert answer.status_code == 401
        assert "That lead id and password do not match an account." in answer.text

    def test_sign_in_form_without_its_token_is_refused(self, client: TestClient) -> None:
        client.get("/sign-in")
        for data in ({"lead_id": "tl-north", "password": PASSWORDS["tl-north"]},
                     {"lead_id": "tl-north", "password": PASSWORDS["tl-north"],
                      "csrf": "made-up"}):
            answer = client.post("/sign-in", data=data)
            assert answer.status_code == 403
            assert "did not come from this page" in answer.text
        assert client.get(BOARD).status_code == 303

    def test_only_local_addresses_after_sign_in(self, client: TestClient) -> None:
        for after in ("https://evil.example.org/", "//evil.example.org/", "/\\evil"):
            token = form_token(client.get("/sign-in").text)
            answer = client.post("/sign-in", data={"csrf": token, "lead_id": "tl-north",
                                                   "password": PASSWORDS["tl-north"],
                                                   "next": after})
            assert answer.headers["location"] == "/"

    def test_signing_in_again_ends_the_earlier_session(self, client: TestClient) -> None:
        sign_in(client, "tl-north", board=False)
        earlier = client.cookies[SESSION_COOKIE]
        sign_in(client, "sm-all", board=False)
        assert client.cookies[SESSION_COOKIE] != earlier
        client.cookies.set(SESSION_COOKIE, earlier)
        assert client.get(f"{BOARD}measures.csv").status_code == 303

    def test_under_a_mount_point(self, web_store: str) -> None:
        """Behind a proxy at https://example.org/tracker/, links and cookies stay under it."""
        for client in client_for(web_store, mount="/tracker"):
            answer = client.get(f"/tracker{BOARD}")
            assert answer.headers["location"] == f"/tracker/sign-in?next=/tracker{BOARD}"
            form = client.get("/tracker/sign-in")
            assert 'action="/tracker/sign-in"' in form.text
            answer = client.post("/tracker/sign-in", data={
                "csrf": form_token(form.text), "lead_id": "tl-north",
                "password": PASSWORDS["tl-north"], "next": f"/tracker{BOARD}"})
            assert answer.headers["location"] == f"/tracker{BOARD}"
            assert "Path=/tracker;" in answer.headers["set-cookie"]
            board = client.get(f"/tracker{BOARD}").text
            assert 'href="/tracker/days/2026-11-16/teams/north/"' in board
            assert 'action="/tracker/sign-out"' in board

    def test_every_answer_carries_the_security_headers(self, client: TestClient) -> None:
        for answer in (client.get("/sign-in"), client.get(BOARD)):
            assert "form-action 'self'" in answer.headers["content-security-policy"]
            assert "default-src 'none'" in answer.headers["content-security-policy"]
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["cache-control"] == "no-store"
            assert answer.headers["x-content-type-options"] == "nosniff"


class TestSigningOut:
    """Signing out is a POST carrying the session's CSRF token; after it the cookie signs
    nobody in."""

    def test_sign_out(self, client: TestClient) -> None:
        csrf = sign_in(client, "tl-north")
        cookie = client.cookies[SESSION_COOKIE]
        answer = client.post("/sign-out", data={"csrf": csrf})
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        client.cookies.set(SESSION_COOKIE, cookie)
        assert client.get(BOARD).status_code == 303

    def test_without_its_token_refused(self, client: TestClient) -> None:
        sign_in(client, "tl-north")
        for data in ({}, {"csrf": "guessed"}):
            answer = client.post("/sign-out", data=data)
            assert answer.status_code == 403
        assert client.get(BOARD).status_code == 200

    def test_get_is_not_a_way_out(self, client: TestClient) -> None:
        sign_in(client, "tl-north")
        assert client.get("/sign-out").status_code == 405
        assert client.get(BOARD).status_code == 200


class TestSessionsExpire:
    """A session ends when unused for the idle time, and when older than its lifetime however
    busy; its cookie then signs nobody in."""

    def test_idle(self, web_store: str) -> None:
        clock = Clock()
        for client in client_for(web_store, WebSettings(idle=timedelta(seconds=3)),
                                 clock=clock):
            sign_in(client, "tl-north", board=False)
            clock.advance(2.9)
            assert client.get(f"{BOARD}measures.csv").status_code == 200
            clock.advance(2.9)  # seen 2.9 s ago: still alive, though begun 5.8 s ago
            assert client.get(f"{BOARD}measures.csv").status_code == 200
            clock.advance(3.1)
            answer = client.get(BOARD)
            assert answer.status_code == 303 and answer.headers["location"].startswith(
                "/sign-in")

    def test_lifetime(self, web_store: str) -> None:
        clock = Clock()
        for client in client_for(web_store, WebSettings(lifetime=timedelta(seconds=4)),
                                 clock=clock):
            sign_in(client, "tl-north", board=False)
            for _ in range(3):  # busy all along: every 1.3 s
                clock.advance(1.3)
                assert client.get(f"{BOARD}measures.csv").status_code == 200
            clock.advance(0.2)  # 4.1 s after it began
            assert client.get(f"{BOARD}measures.csv").status_code == 303

    def test_a_new_password_ends_sessions(self, client: TestClient, web_store: str) -> None:
        sign_in(client, "tl-north")
        engine = store.make_engine(web_store)
        with Session(engine) as session, session.begin():
            store.save_account(session=session, lead_id="tl-north",
                               password_hash=hash_password("a-brand-new-password"),
                               with_names=False)
        engine.dispose()
        assert client.get(BOARD).status_code == 303


class TestWhoSeesWhat:
    """A team's people see their team; a lead with team `*` sees every team; children's names
    only for accounts given them, where `report --with-names` shows them."""

    def test_team_lead_sees_own_team(self, client: TestClient) -> None:
        sign_in(client, "tl-north")
        board = client.get(BOARD)
        assert board.status_code == 200
        assert "team north" in board.text and "Team south" not in board.text
        assert "C-1002" not in board.text  # a south case
        assert client.get(f"{BOARD}teams/north/").status_code == 200
        assert client.get(f"{BOARD}teams/north/timelines-1.html").status_code == 200
        assert client.get(f"{BOARD}teams/north/drift-1.html").status_code == 200
        child = client.get(f"{BOARD}cases/C-1001")
        assert child.status_code == 200 and 'id="C-1001"' in child.text

    def test_a_case_not_open_that_day(self, client: TestClient) -> None:
        """A closed case's page says so, rather than drawing a timeline nobody is working."""
        sign_in(client, "tl-north")
        page = client.get(f"{BOARD}cases/C-1005")
        assert page.status_code == 200
        assert ("The case is not open on 16 Nov 2026: the child became looked after on 2 Jun "
                "2025 and the case closed on 28 Oct 2026.") in page.text
        assert 'id="C-1005"' in client.get("/days/2026-10-27/cases/C-1005").text

    def test_another_team_is_not_found(self, client: TestClient) -> None:
        """Another team's pages answer exactly as pages that are not there, so a lead cannot
        learn which case refs (or teams) exist elsewhere."""
        sign_in(client, "tl-north")
        for path, nothing in ((f"{BOARD}teams/south/", f"{BOARD}teams/east/"),
                              (f"{BOARD}teams/south/timelines-1.html",
                               f"{BOARD}teams/east/timelines-1.html"),
                              (f"{BOARD}teams/south/drift-1.html",
                               f"{BOARD}teams/east/drift-1.html"),
                              (f"{BOARD}teams/south/measures.csv",
                               f"{BOARD}teams/east/measures.csv"),
                              (f"{BOARD}cases/C-1002", f"{BOARD}cases/C-9999")):
            answer, absent = client.get(path), client.get(nothing)
            assert answer.status_code == absent.status_code == 404, path
            assert answer.text.replace(path, nothing) == absent.text
            assert "Bea Sample" not in answer.text and "south" not in answer.text.replace(
                path, "")

    def test_every_team_for_star(self, client: TestClient) -> None:
        sign_in(client, "sm-all")
        board = client.get(BOARD)
        assert "all teams" in board.text
        assert 'href="/days/2026-11-16/teams/north/"' in board.text
        assert 'href="/days/2026-11-16/teams/south/"' in board.text
        for path in (f"{BOARD}cases/C-1001", f"{BOARD}cases/C-1002",
                     f"{BOARD}teams/south/timelines-1.html"):
            assert client.get(path).status_code == 200, path

    def test_names_only_for_accounts_given_them(self, client: TestClient) -> None:
        sign_in(client, "sm-all")
        named = client.get(f"{BOARD}cases/C-1001").text
        assert "Ari Sample" in named and "OFFICIAL-SENSITIVE" in named
        assert "Ari Sample" in client.get(f"{BOARD}teams/north/timelines-1.html").text
        for path in (BOARD, f"{BOARD}teams/north/"):
            # the boards never name a child, as in the report, nor say that they do
            text = client.get(path).text
            assert "Ari Sample" not in text and "OFFICIAL-SENSITIVE" not in text, path
            assert "Contains children's names." not in text, path
        board = client.get(BOARD).text
        client.post("/sign-out", data={"csrf": form_token(board)})
        sign_in(client, "tl-north")
        for path in (BOARD, f"{BOARD}cases/C-1001", f"{BOARD}teams/north/timelines-1.html"):
            text = client.get(path).text
            assert "Ari Sample" not in text and "OFFICIAL-SENSITIVE" not in text

    def test_figures_are_scoped(self, client: TestClient) -> None:
        sign_in(client, "sw-south-1")
        figures = client.get(f"{BOARD}measures.json")
        assert figures.status_code == 200
        assert '"north"' not in figures.text and '"south"' in figures.text

    def test_improvement_changes_on_the_charts(self, client: TestClient,
                                              web_store: str) -> None:
        """`permanence annotate` changes are on the board's run charts, as in the report."""
        result = runner.invoke(cli, ["--db", web_store, "annotate", "--on", "2026-03-01",
                                     "Legal clinic every week"])
        assert result.exit_code == 0, result.output
        sign_in(client, "sm-all")
        assert "Legal clinic every week" in client.get(BOARD).text

    def test_drift_over_time(self, client: TestClient) -> None:
        sign_in(client, "tl-north")
        text = client.get(f"{BOARD}drift-over-time").text
        assert "north: red" in text and "south: red" not in text
        assert 'aria-label="Red and amber milestones per team, day by day"' in text
        assert "team north" in text and "team south" not in text  # the chart's legend
        assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', text)] == [
            4, 1, 5, 1, 3, 1]  # latest day first: red, amber
        client.post("/sign-out", data={"csrf": form_token(text)})
        sign_in(client, "sm-all")
        text = client.get(f"{BOARD}drift-over-time").text
        assert "north: red" in text and "south: red" in text

    def test_unknown_addresses(self, client: TestClient) -> None:
        sign_in(client, "sm-all")
        for path in ("/days/2026-02-30/", "/days/yesterday/", f"{BOARD}cases/C-9999",
                     f"{BOARD}teams/east/", f"{BOARD}teams/north/timelines-99.html",
                     f"{BOARD}secrets.txt", f"{BOARD}teams/north/timelines-%C2%B2.html",
                     f"{BOARD}teams/north/drift-%D9%A1.html",
                     f"{BOARD}teams/north/timelines-1234567.html", f"{BOARD}cases/%00",
                     f"{BOARD}cases/C-1001%00", f"{BOARD}cases/C-%0A1001",
                     f"{BOARD}teams/north%00/"):
            assert client.get(path).status_code == 404, path


class TestSingleSignOn:
    """The header names the lead only from a trusted proxy's own address, and only a lead
    with an account; then a session starts as after a password."""

    settings = WebSettings(sso_header="X-Remote-User",
                           trusted_proxies=(ip_network("127.0.0.1/32"),))

    def test_from_a_trusted_proxy(self, web_store: str) -> None:
        for client in client_for(web_store, self.settings, peer="127.0.0.1"):
            answer = client.get(BOARD, headers={"X-Remote-User": "pa-panel"})
            assert answer.status_code == 200
            assert "Signed in as <b>Shona Demo</b>" in answer.text
            assert SESSION_COOKIE in client.cookies
            other = client.get(BOARD, headers={"X-Remote-User": "tl-north"})
            assert "Signed in as <b>Fraser Demo</b>" in other.text

    def test_header_ignored_from_anyone_else(self, web_store: str) -> None:
        for client in client_for(web_store, self.settings, peer="10.1.2.3"):
            assert client.get(BOARD, headers={"X-Remote-User": "sm-all"}).status_code == 303

    def test_a_lead_without_an_account(self, web_store: str) -> None:
        for client in client_for(web_store, self.settings, peer="127.0.0.1"):
            assert client.get(BOARD, headers={"X-Remote-User": "tl-south"}).status_code == 303

    def test_header_without_trusted_proxies_is_refused(self,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PERMANENCE_WEB_SSO_HEADER", "X-Remote-User")
        monkeypatch.delenv("PERMANENCE_WEB_TRUSTED_PROXIES", raising=False)
        with pytest.raises(BadInput, match="PERMANENCE_WEB_TRUSTED_PROXIES is not"):
            WebSettings.from_environment()
        monkeypatch.setenv("PERMANENCE_WEB_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/24")
        settings = WebSettings.from_environment()
        assert settings.trusts("10.0.0.7") and not settings.trusts("10.0.1.7")

    @pytest.mark.parametrize(("value", "says"), [
        ("10.0.4.7/0", "'10.0.4.7/0' is not an IP address or network"),
        ("10.0.4.7/24", "'10.0.4.7/24' is not an IP address or network"),
        ("127.0.0.1, 0.0.0.0/0", "'0.0.0.0/0' is every address"),
        ("::/0", "'::/0' is every address"),
        ("proxy.example.org", "'proxy.example.org' is not an IP address or network")])
    def test_trusted_proxies_refused(self, monkeypatch: pytest.MonkeyPatch, value: str,
                                     says: str) -> None:
        """A network with host bits set was read as the network round it, so 10.0.4.7/0
        trusted every address: refused, as is any network of every address."""
        monkeypatch.setenv("PERMANENCE_WEB_SSO_HEADER", "X-Remote-User")
        monkeypatch.setenv("PERMANENCE_WEB_TRUSTED_PROXIES", value)
        with pytest.raises(BadInput) as raised:
            WebSettings.from_environment()
        assert str(raised.value).startswith(f"PERMANENCE_WEB_TRUSTED_PROXIES={value!r}: {says}")

    def test_an_ipv4_proxy_on_a_dual_stack_listener(self, web_store: str) -> None:
        """Listening on ::, the page sees 127.0.0.1 as ::ffff:127.0.0.1."""
        assert self.settings.trusts("::ffff:127.0.0.1")
        assert not self.settings.trusts("::ffff:10.1.2.3")
        for client in client_for(web_store, self.settings, peer="::ffff:127.0.0.1"):
            assert client.get(BOARD, headers={"X-Remote-User": "pa-panel"}).status_code == 200

    def test_the_header_twice_signs_nobody_in(self, web_store: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
        """A proxy that adds its header instead of replacing the browser's passes both: the
        browser's, first, must not win, and nor may the proxy's be told from it."""
        for client in client_for(web_store, self.settings, peer="127.0.0.1"):
            for names in (("sm-all", "tl-north"), ("tl-north", "tl-north")):
                answer = client.get(BOARD, headers=[("X-Remote-User", name)
                                                    for name in names])
                assert answer.status_code == 303, names
                assert SESSION_COOKIE not in client.cookies
            assert "X-Remote-User sent 2 times from 127.0.0.1: nobody is signed in" in (
                caplog.messages)

    def test_ended_sessions_are_deleted(self, web_store: str) -> None:
        """With single sign-on alone nobody signs in by password, where ended sessions' rows
        were deleted: starting a sign-on session deletes them too."""
        engine = store.make_engine(web_store)
        long_ago = utc_now() - timedelta(hours=11)
        with Session(engine) as session, session.begin():
            for number in range(3):
                store.start_session(session=session, token_hash=f"ended-{number}",
                                    lead_id="tl-north", csrf_token="x", now=long_ago)
        for client in client_for(web_store, self.settings, peer="127.0.0.1"):
            assert client.get(BOARD, headers={"X-Remote-User": "pa-panel"}).status_code == 200
        with Session(engine) as session:
            left = session.exec(select(WebSession)).all()
            assert [row.lead_id for row in left] == ["pa-panel"]
        engine.dispose()


class TestUserCommands:
    """`permanence user add` asks twice, hidden, or reads standard input; `user list` and
    `user remove` show and withdraw access."""

    def test_add_list_remove(self, web_store: str) -> None:
        added = runner.invoke(cli, ["--db", web_store, "user", "add", "tl-south"],
                              input="south-leader-password\nsouth-leader-password\n")
        assert added.exit_code == 0, added.output
        assert "south-leader-password" not in added.output
        assert added.output.endswith("tl-south can now sign in to the web page with a "
                                     "password.\n")
        listed = runner.invoke(cli, ["--db", web_store, "user", "list"])
        assert "tl-south\tMurray Demo\tteam_leader\tteam south\tpassword\n" in listed.output
        assert "sm-all\tNiamh Demo\tservice_manager\tevery team\tpassword, names\n" in (
            listed.output)
        for client in client_for(web_store):
            sign_in(client, "tl-south", "south-leader-password")
            removed = runner.invoke(cli, ["--db", web_store, "user", "remove", "tl-south"])
            assert removed.output == "tl-south can no longer sign in to the web page.\n"
            assert client.get(BOARD).status_code == 303

    def test_password_stdin(self, web_store: str) -> None:
        result = runner.invoke(cli, ["--db", web_store, "user", "add", "tl-south",
                                     "--password-stdin"], input="from-a-secret-store\n")
        assert result.exit_code == 0
        for client in client_for(web_store):
            sign_in(client, "tl-south", "from-a-secret-store")

    @pytest.mark.parametrize(("arguments", "given", "message"), [
        (["nobody", "--password-stdin"], "long-enough-password\n",
         ("'nobody' is not a lead in the store; import it with `permanence import leads` "
          "first\n")),
        (["tl-south", "--password-stdin"], "short\n",
         "the password must be at least 12 characters long\n"),
        (["tl-south"], "long-enough-password\ndifferent-password\n" * 3, None),
    ])
    def test_refused(self, web_store: str, arguments: list[str], given: str,
                     message: str | None) -> None:
        result = runner.invoke(cli, ["--db", web_store, "user", "add", *arguments],
                               input=given)
        assert result.exit_code != 0
        if message is not None:
            assert result.output == message
        assert "tl-south" not in runner.invoke(cli, ["--db", web_store, "user",
                                                     "list"]).output

    def test_remove_twice(self, web_store: str) -> None:
        for expected in ("tl-north can no longer sign in to the web page.\n",
                         "tl-north had no account on the web page; nothing changed.\n"):
            result = runner.invoke(cli, ["--db", web_store, "user", "remove", "tl-north"])
            assert (result.exit_code, result.output) == (0, expected)


class TestStartRefused:
    """`web` and `serve` refuse what they cannot serve in one sentence, before listening:
    a store not initialised, a port in use, a web setting that cannot be used."""

    def test_store_not_initialised(self, tmp_path: Path) -> None:
        result = runner.invoke(cli, ["--db", f"sqlite:///{tmp_path / 'new.db'}", "web",
                                     "--port", "0"])
        assert result.exit_code == 1
        assert result.output.endswith("run `permanence init` first\n")

    def test_port_in_use(self, web_store: str) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            result = runner.invoke(cli, ["--db", web_store, "web", "--port", str(port)])
        assert (result.exit_code, result.output) == (
            1, (f"the web page cannot listen on 127.0.0.1:{port}: Address already in use; "
               "choose another --host or --port\n"))

    @pytest.mark.parametrize("command", ["web", "serve"])
    @pytest.mark.parametrize(("variable", "value", "says"), [
        ("PERMANENCE_WEB_IDLE_MINUTES", "0",
         "PERMANENCE_WEB_IDLE_MINUTES='0': expected a whole number from 1 to 1440"),
        ("PERMANENCE_WEB_SSO_HEADER", "X-Remote-User",
         ("PERMANENCE_WEB_SSO_HEADER is set but PERMANENCE_WEB_TRUSTED_PROXIES is not: name "
         "the reverse proxy's addresses, e.g. 127.0.0.1")),
        ("PERMANENCE_WEB_URL", "intranet/permanence",
         ("PERMANENCE_WEB_URL='intranet/permanence': expected the web page's address, http:// "
         "or https://, e.g. https://permanence.example.org")),
    ])
    def test_bad_settings(self, web_store: str, monkeypatch: pytest.MonkeyPatch, command: str,
                          variable: str, value: str, says: str) -> None:
        monkeypatch.delenv("PERMANENCE_WEB_TRUSTED_PROXIES", raising=False)
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
        monkeypatch.setenv(variable, value)
        result = runner.invoke(cli, ["--db", web_store, command, "--port", "0"])
        assert (result.exit_code, result.output) == (1, says + "\n")


class TestFormLimit:
    """A form over auth.FORM_LIMIT is refused (413) without being read into memory: a
    Content-Length over the limit before any of the body, a body without one once it passes
    the limit. No sign-in is needed to post, so this is open to anyone."""

    @pytest.mark.parametrize("path", ["/sign-in", "/sign-out"])
    def test_content_length_over_the_limit(self, client: TestClient, path: str) -> None:
        answer = client.post(path, content=b"a" * (FORM_LIMIT + 1),
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 413

    @pytest.mark.parametrize("path", ["/sign-in", "/sign-out"])
    def test_a_long_body_is_not_read_to_its_end(self, web_store: str, path: str) -> None:
        """Sent in 1 KiB chunks without a Content-Length, a 100 MiB body is refused after the
        ninth chunk (TestClient reads a whole body before sending it, hence plain ASGI)."""
        engine = store.make_engine(web_store)
        app = web_app(engine, load_timelines(), WebSettings())
        sent = 0
        answers: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            nonlocal sent
            sent += 1
            return {"type": "http.request", "body": b"a" * 1024, "more_body": sent < 102_400}

        async def send(message: dict[str, object]) -> None:
            answers.append(message)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": b"", "client": ("testclient", 50000),
                 "server": ("testserver", 80),
                 "headers": [(b"host", b"testserver"),
                             (b"content-type", b"application/x-www-form-urlencoded")]}
        try:
            anyio.run(app, scope, receive, send)
        finally:
            engine.dispose()
        assert answers[0]["status"] == 413
        assert sent == FORM_LIMIT // 1024 + 1


class TestPasswordChecks:
    """argon2 takes 64 MiB a check: sign-ins wait for their own small limiter
    (PASSWORD_CHECKS at once), not the thread pool every page shares, so a flood of sign-ins
    cannot take the server's memory."""

    def test_at_most_two_at_once(self, client: TestClient,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
        running = peak = 0
        lock = threading.Lock()
        check = auth.check_password

        def counted(password_hash: str | None, password: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.3)
            with lock:
                running -= 1
            return check(password_hash, password)

        monkeypatch.setattr(auth, "check_password", counted)
        forms = []
        for _ in range(6):
            client.get("/sign-in")
            forms.append((form_token(client.get("/sign-in").text),
                          client.cookies[auth.SIGN_IN_COOKIE]))
        client.cookies.clear()
        answers: list[int] = []

        def refused(token: str, cookie: str) -> None:
            answers.append(client.post("/sign-in", data={
                "csrf": token, "lead_id": "nobody", "password": "a-wrong-password"},
                headers={"cookie": f"{auth.SIGN_IN_COOKIE}={cookie}"}).status_code)

        threads = [threading.Thread(target=refused, args=form) for form in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [401] * 6
        assert 1 <= peak <= application.PASSWORD_CHECKS == 2
