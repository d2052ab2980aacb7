"""The child's timeline's "Why a step is drifting" form in a real headless Chromium against a
real uvicorn server, as tests/test_web_browser.py drives it: a team leader explains a step that
escalates to them, and sees it under the timeline and in the list of explanations; a social
worker is not offered a step they neither own nor are escalated to, and a form for it, sent
with their own valid CSRF token, is refused (403) and records nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from test_report import Browser, chromium, keep
from test_web import load_store
from test_web_browser import (
    Served,
    navigate_by,
    path,
    refusals,
    run,
    served,
    sign_in,
    status,
    text,
)

from permanence.clock import service_today
from permanence.report.text import day_text
from permanence.web.settings import WebSettings

TODAY = service_today()  # an explanation from the web page is given today
BY = TODAY + timedelta(days=21)
REASON = "Legal Services are waiting for the birth father's solicitor"
NEXT = "Chase the solicitor and book a legal planning slot"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The sample with web accounts (test_web.load_store), served by uvicorn."""
    folder = tmp_path_factory.mktemp("explain-web-store")
    url = load_store(f"sqlite:///{folder / 'permanence.db'}",
                     Path(__file__).parent.parent / "examples")
    with served(url, WebSettings()) as running:
        yield running


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    opened = Browser(chromium(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def fresh(chrome: Browser) -> Browser:
    """The browser with no cookies: nobody signed in."""
    chrome.call("Network.clearBrowserCookies", session=True)
    return chrome


class TestExplainInChromium:
    def test_escalation_lead_explains(self, fresh: Browser, site: Served,
                                      tmp_path: Path) -> None:
        browser = fresh
        case_page = f"/days/{TODAY}/cases/C-1006"
        browser.open(f"{site.base}{case_page}")
        sign_in(browser, site, "tl-north")
        assert path(browser) == case_page and status(browser) == 200
        # Legal advice is owned by the legal adviser and escalates to the team leader (then
        # the service manager): Fraser Demo, team leader of north, may explain it.
        offered = run(browser, "[...document.querySelectorAll('#milestone option')]"
                               ".map(o => o.value)")
        assert "legal_advice" in offered
        navigate_by(browser, f"""
            document.getElementById('milestone').value = 'legal_advice';
            document.getElementById('reason').value = {json.dumps(REASON)};
            document.getElementById('next').value = {json.dumps(NEXT)};
            document.getElementById('by').value = '{BY.isoformat()}';
            document.querySelector('form.explain button').click();""")
        assert path(browser) == case_page and status(browser) == 200
        page = text(browser)
        assert (f"Legal advice received from Legal Services: why: {REASON}; next: {NEXT}, by "
                f"{day_text(BY)} (explained by Fraser Demo on {day_text(TODAY)})") in page
        rows = run(browser, "[...document.querySelectorAll('table.explanations tbody tr')]"
                            ".map(r => [...r.cells].map(c => c.innerText))")
        assert rows == [[day_text(TODAY), "Legal advice received from Legal Services", REASON,
                         NEXT, day_text(BY), "Fraser Demo", "stands"]]
        assert refusals(browser) == []
        shot = tmp_path / "web-explain-C-1006.png"
        browser.screenshot(shot)
        keep(shot)

    def test_not_the_owner_nor_escalated_to_refused(self, fresh: Browser,
                                                    site: Served) -> None:
        browser = fresh
        case_page = f"/days/{TODAY}/cases/C-1007"
        browser.open(f"{site.base}{case_page}")
        sign_in(browser, site, "sw-south-1")
        assert path(browser) == case_page and status(browser) == 200
        offered = run(browser, "[...document.querySelectorAll('#milestone option')]"
                               ".map(o => o.value)")
        # Isla Demo is C-1007's social worker: the agency decision is the agency decision
        # maker's, escalating to the team leader and the service manager, not hers.
        assert "adm_decision" not in offered
        navigate_by(browser, f"""
            const form = document.querySelector('form.explain');
            const step = document.getElementById('milestone');
            step.add(new Option('forged', 'adm_decision')); step.value = 'adm_decision';
            document.getElementById('reason').value = 'not mine to say';
            document.getElementById('next').value = 'nothing';
            document.getElementById('by').value = '{BY.isoformat()}';
            form.querySelector('button').click();""")
        assert status(browser) == 403
        assert ("Only the step's owner and the leads it escalates to may explain it (Tom Demo, "
                "Murray Demo, Niamh Demo): nothing was recorded.") in text(browser)
        browser.open(f"{site.base}{case_page}")
        assert run(browser, "document.querySelector('table.explanations') === null") is True
