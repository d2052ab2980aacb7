"""The web page in a real headless Chromium against a real uvicorn server on a free port:
signing in through the form, a team leader's own board and child's timeline, being refused
another team's child, a lead with team `*` seeing every team, a session that expires, and a
POST without the CSRF token refused. The browser is driven over the DevTools protocol as
tests/test_report.py drives it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_report import Browser, chromium, keep
from test_web import BOARD, PASSWORDS, load_store

from permanence import store
from permanence.timelines import load_timelines
from permanence.web import server
from permanence.web.settings import WebSettings


class Served:
    """The web page on a real uvicorn server in a thread of the test process."""

    def __init__(self, db_url: str, settings: WebSettings) -> None:
        self.engine = store.make_engine(db_url)
        sock = server.listen("127.0.0.1", 0)
        self.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = server.server(server.web_app(self.engine, load_timelines(), settings),
                                    sock)
        self.thread = threading.Thread(target=self.server.run, args=([sock],), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.engine.dispose()


@contextlib.contextmanager
def served(db_url: str, settings: WebSettings) -> Iterator[Served]:
    running = Served(db_url, settings)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("web-store")
    return load_store(f"sqlite:///{folder / 'permanence.db'}",
                      Path(__file__).parent.parent / "examples")


@pytest.fixture(scope="module")
def site(web_store: str) -> Iterator[Served]:
    with served(web_store, WebSettings()) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    opened = Browser(chromium(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def fresh(browser: Browser) -> Browser:
    """The browser with no cookies: nobody signed in."""
    browser.call("Network.clearBrowserCookies", session=True)
    return browser


def run(browser: Browser, expression: str) -> Any:
    return browser.call("Runtime.evaluate", session=True, expression=expression,
                        returnByValue=True)["result"].get("value")


def navigate_by(browser: Browser, expression: str) -> None:
    """Run `expression` (a click, a form sent) and wait for the page it leads to."""
    browser.events.clear()
    run(browser, expression)
    browser.wait_for("Page.loadEventFired", timeout=180)  # a first board draws its charts
    browser.settle()


def status(browser: Browser) -> int:
    """The HTTP status of the page now shown (after any redirects)."""
    answers = [event["params"]["response"]["status"] for event in browser.events
               if event.get("method") == "Network.responseReceived"
               and event["params"].get("type") == "Document"]
    assert answers, "no page was loaded"
    return int(answers[-1])


def text(browser: Browser) -> str:
    return str(run(browser, "document.body.innerText"))


def path(browser: Browser) -> str:
    return str(run(browser, "location.pathname + location.search"))


def sign_in(browser: Browser, site: Served, lead_id: str) -> None:
    """From a page that sent us to sign in, or the form itself: fill it in and send it."""
    if not path(browser).startswith("/sign-in"):
        browser.open(f"{site.base}/sign-in")
    navigate_by(browser, f"""
        document.getElementById('lead_id').value = {lead_id!r};
        document.getElementById('password').value = {PASSWORDS[lead_id]!r};
        document.querySelector('form.sign-in button').click();""")


def refusals(browser: Browser) -> list[str]:
    """Problems the browser reported, leaving out the refusals the test asked for (a 403 or
    401 page is logged by Chromium as a failed resource)."""
    return [problem for problem in browser.problems()
            if "the server responded with a status of 40" not in problem]


class TestInChromium:
    """What a lead does in a browser, end to end."""

    def test_team_leader(self, fresh: Browser, site: Served, tmp_path: Path) -> None:
        browser = fresh
        browser.open(f"{site.base}{BOARD}")
        assert path(browser) == f"/sign-in?next={BOARD}"
        sign_in(browser, site, "tl-north")
        assert path(browser) == BOARD and status(browser) == 200
        page = text(browser)
        assert "Signed in as Fraser Demo" in page and "team north" in page
        assert "Team south" not in page
        assert refusals(browser) == []
        shot = tmp_path / "web-board-north.png"
        browser.screenshot(shot)
        keep(shot)
        cookies = {cookie["name"]: cookie
                   for cookie in browser.call("Network.getCookies", session=True)["cookies"]}
        assert cookies["permanence_session"]["httpOnly"] is True
        assert cookies["permanence_session"]["sameSite"] == "Lax"

        first = run(browser, "document.querySelector('a[href*=\"/cases/\"]').hash.slice(1)")
        assert first.startswith("C-")
        navigate_by(browser, "document.querySelector('a[href*=\"/cases/\"]').click()")
        assert path(browser) == f"{BOARD}cases/{first}" and status(browser) == 200
        assert run(browser, f"document.getElementById('{first}') !== null") is True
        browser.open(f"{site.base}{BOARD}cases/C-1001")
        assert status(browser) == 200
        assert "Ari Sample" not in text(browser)  # no names for this account
        shot = tmp_path / "web-child-C-1001.png"
        browser.screenshot(shot)
        keep(shot)

        browser.open(f"{site.base}{BOARD}cases/C-1002")  # another team's: as if not there
        assert status(browser) == 404
        assert f"Nothing is at {BOARD}cases/C-1002." in text(browser)
        browser.open(f"{site.base}{BOARD}teams/south/")
        assert status(browser) == 404

    def test_every_team_for_star_with_names(self, fresh: Browser, site: Served) -> None:
        browser = fresh
        browser.open(f"{site.base}{BOARD}")
        sign_in(browser, site, "sm-all")
        page = text(browser)
        assert "Signed in as Niamh Demo" in page and "all teams" in page
        assert "Team north" in page and "Team south" in page
        browser.open(f"{site.base}{BOARD}cases/C-1002")
        assert status(browser) == 200
        assert "Bea Sample" in text(browser) and "OFFICIAL-SENSITIVE" in text(browser)
        assert refusals(browser) == []

    def test_post_without_csrf_token_refused(self, fresh: Browser, site: Served) -> None:
        browser = fresh
        browser.open(f"{site.base}/sign-in")
        sign_in(browser, site, "tl-north")
        navigate_by(browser, """
            const form = document.createElement('form');
            form.method = 'post'; form.action = '/sign-out';
            document.body.appendChild(form); form.submit();""")
        assert status(browser) == 403
        browser.open(f"{site.base}{BOARD}")
        assert path(browser) == BOARD and "Signed in as Fraser Demo" in text(browser)
        navigate_by(browser, "document.querySelector('form.sign-out button').click()")
        assert path(browser) == "/sign-in"
        browser.open(f"{site.base}{BOARD}")
        assert path(browser).startswith("/sign-in")

    def test_session_expires(self, fresh: Browser, web_store: str) -> None:
        browser = fresh
        with served(web_store, WebSettings(idle=timedelta(seconds=2))) as short:
            browser.open(f"{short.base}{BOARD}quality.html")
            sign_in(browser, short, "tl-north")
            assert path(browser) == f"{BOARD}quality.html" and status(browser) == 200
            time.sleep(3)
            browser.open(f"{short.base}{BOARD}")
            assert path(browser) == f"/sign-in?next={BOARD}"
