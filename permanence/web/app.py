"""The web page's HTTP side: its addresses, sign-in and sign-out, who may see what, and the
headers every answer carries.

| address | what |
| --- | --- |
| `/` | today's board (Europe/London) |
| `/days/DAY/` | that day's RAG board, for the teams the lead may see |
| `/days/DAY/teams/TEAM/` | one team's board; with `timelines-N.html`, `drift-N.html` |
| `/days/DAY/cases/CASE_REF` | a child's timeline |
| `/days/DAY/drift-over-time` | red and amber per team, day by day, from the daily checks |
| `/days/DAY/quality.html`, `measures.csv`, `measures.json` | data quality; the figures |
| `/sign-in`, `/sign-out` | the forms (sign-out is a POST) |
| `/explain` | a child's timeline's form (POST): why a step is drifting, the next action, by when |

Every page needs a signed-in lead; a page of a team the lead may not see is not found (404),
exactly as a page that is not there, so nobody learns which case refs other teams hold.
The store is read per request: what a page shows is what the store holds now, for that day.
A form is sent through `WebApp.action` (a page's handler through `WebApp.page`): it refuses
any POST without the session's CSRF token, so a new form cannot forget the check.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from permanence import csvfiles, store
from permanence.clock import service_today
from permanence.errors import PermanenceError
from permanence.evaluate import LeadDirectory
from permanence.explanations import by_problem, explanation_problem, text_problem, who_may_explain
from permanence.models import utc_now
from permanence.web import auth
from permanence.web.settings import WebSettings
from permanence.web.views import Links, Views

log = logging.getLogger(__name__)

SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'none'; style-src 'unsafe-inline'; "
                                  b"img-src data:; form-action 'self'; base-uri 'none'; "
                                  b"frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),  # pages hold case details; never kept by a browser
]

SWEEP_EVERY = timedelta(minutes=1)  # ended sessions' rows deleted at most this often
PASSWORD_CHECKS = 2  # sign-ins at once: argon2 takes 64 MiB and a fifth of a second each

Handler = Callable[[Request, auth.Viewer, Links], Response]
Action = Callable[[Request, auth.Viewer, dict[str, str]], Response]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every answer: nothing is fetched from elsewhere, no other site
    may frame the page, nothing is cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class WebApp:
    """The page over one store and set of rules."""

    def __init__(self, engine: Engine, views: Views, settings: WebSettings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.views = views
        self.settings = settings
        self.clock = clock  # the moment sessions start, are seen and end at (UTC)
        self.password_checks = anyio.CapacityLimiter(PASSWORD_CHECKS)
        self.swept: datetime | None = None  # when ended sessions were last deleted

    def routes(self) -> list[Route]:
        day = "/days/{day}"
        team = day + "/teams/{slug}"
        return [
            Route("/", self.home), Route("/sign-in", self.sign_in_form, methods=["GET"]),
            Route("/sign-in", self.sign_in, methods=["POST"]),
            Route("/sign-out", self.action(self.sign_out), methods=["POST"]),
            Route("/explain", self.action(self.explain), methods=["POST"]),
            Route(day + "/", self.page(self.board)),
            Route(day + "/{file}", self.page(self.board_file)),
            Route(day + "/cases/{case_ref:path}", self.page(self.case)),
            Route(team + "/", self.page(self.team)),
            Route(team + "/{file}", self.page(self.team_file)),
        ]

    # -- signing in and out ---------------------------------------------------------------

    def root(self, request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def home(self, request: Request) -> Response:
        return RedirectResponse(f"{self.root(request)}/days/{service_today().isoformat()}/",
                                status_code=303)

    async def sign_in_form(self, request: Request) -> Response:
        return self.sign_in_page(request, status=200, problem=None,
                                 after=request.query_params.get("next", ""), lead_id="")

    def sign_in_page(self, request: Request, *, status: int, problem: str | None, after: str,
                     lead_id: str) -> Response:
        """The form, with a new sign-in token in the form and in a cookie."""
        token = auth.new_token()
        text = self.views.environment.get_template("sign_in.html.j2").render(
            web=None, problem=problem, csrf=token, next=self.safe_next(request, after),
            lead_id=lead_id, action=f"{self.root(request)}/sign-in")
        response = HTMLResponse(text, status_code=status)
        self.cookie(request, response, auth.SIGN_IN_COOKIE, token, max_age=3600)
        return response

    async def sign_in(self, request: Request) -> Response:
        body = await read_body(request)
        if body is None:
            return too_large()
        # Not the thread pool every page shares: argon2 takes 64 MiB a check, so only
        # PASSWORD_CHECKS sign-ins run at once and the rest wait their turn.
        return await anyio.to_thread.run_sync(self._sign_in, request, auth.read_form(body),
                                              limiter=self.password_checks)

    def _sign_in(self, request: Request, form: dict[str, str] | None) -> Response:
        after = (form or {}).get("next", "")
        lead_id = (form or {}).get("lead_id", "").strip()
        if form is None or not auth.same(form.get("csrf"),
                                         request.cookies.get(auth.SIGN_IN_COOKIE)):
            return self.sign_in_page(
                request, status=403, after=after, lead_id=lead_id,
                problem="The sign-in form had expired or did not come from this page: sign in "
                        "again.")
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            # A control character is in no lead id, and PostgreSQL refuses a NUL outright.
            known = lead_id and not _control(lead_id)
            account = store.account(session=session, lead_id=lead_id) if known else None
            password = form.get("password", "")
            # Checked even without an account, against a decoy: a refusal takes as long.
            matches = auth.check_password(account.password_hash if account else None, password)
            if account is None or account.password_hash is None or not matches:
                # For whoever watches the log: repeated refusals are someone guessing.
                log.warning("sign-in refused for lead id %r from %s", lead_id,
                            request.client.host if request.client else "an unknown address")
                problem = "That lead id and password do not match an account."
                return self.sign_in_page(request, status=401, problem=problem, after=after,
                                         lead_id=lead_id)
            if auth.needs_rehash(account.password_hash):
                store.replace_password_hash(session=session, lead_id=lead_id,
                                            password_hash=auth.hash_password(password))
            self.end_expired(session, now)
            earlier = request.cookies.get(auth.SESSION_COOKIE)
            if earlier:  # this browser's previous session ends: one cookie, one session
                store.end_session(session=session, token_hash=auth.token_hash(earlier))
            token, _ = auth.start(session, account, now)
        target = self.safe_next(request, after) or f"{self.root(request)}/"
        response = RedirectResponse(target, status_code=303)
        self.cookie(request, response, auth.SESSION_COOKIE, token)
        response.delete_cookie(auth.SIGN_IN_COOKIE, path=self.root(request) or "/")
        return response

    def safe_next(self, request: Request, after: str) -> str:
        """Where to go after signing in: a path on this site only, never another host."""
        root = self.root(request)
        if (after.startswith(f"{root}/") and not after.startswith("//")
                and "\\" not in after and ":" not in after.split("?")[0]):
            return after
        return ""

    def sign_out(self, request: Request, viewer: auth.Viewer, form: dict[str, str]) -> Response:
        with Session(self.engine) as session, session.begin():
            store.end_session(session=session, token_hash=viewer.session_hash)
        response = RedirectResponse(f"{self.root(request)}/sign-in", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path=self.root(request) or "/")
        return response

    def action(self, handler: Action) -> Callable[[Request], Any]:
        """A form sent by a signed-in lead, refused (403, nothing changed) unless it carries
        their session's CSRF token. Every POST but the sign-in form goes through here."""
        async def endpoint(request: Request) -> Response:
            body = await read_body(request)
            if body is None:
                return too_large()
            return await run_in_threadpool(self.take_action, request, auth.read_form(body),
                                           handler)

        return endpoint

    def take_action(self, request: Request, form: dict[str, str] | None,
                    handler: Action) -> Response:
        viewer, token = self.viewer(request)
        if viewer is None:
            return RedirectResponse(f"{self.root(request)}/sign-in", status_code=303)
        if form is None or not auth.same(form.get("csrf"), viewer.csrf):
            response = self.refused(request, viewer, None, 403, "Refused",
                                    "This form did not come from this page (it carries no "
                                    "valid CSRF token): nothing was changed.")
        else:
            response = handler(request, viewer, form)
        if token is not None:
            self.cookie(request, response, auth.SESSION_COOKIE, token)
        return response

    def cookie(self, request: Request, response: Response, name: str, value: str,
               max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, path=self.root(request) or "/",
                            secure=self.settings.secure_cookies, httponly=True, samesite="lax")

    # -- pages ------------------------------------------------------------------------------

    def page(self, handler: Handler) -> Callable[[Request], Any]:
        """A page for a signed-in lead (by session, or by the trusted single sign-on header),
        for a day given as YYYY-MM-DD; anyone else is sent to sign in."""
        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(self.serve_page, request, handler)

        return endpoint

    def serve_page(self, request: Request, handler: Handler) -> Response:
        viewer, token = self.viewer(request)
        if viewer is None:
            # The path as a link writes it (a case ref may hold #, & or %), then as a query's
            # value, so the form gets back this very path to return to.
            here = urlencode({"next": quote(request.scope["path"])}, safe="/", quote_via=quote)
            return RedirectResponse(f"{self.root(request)}/sign-in?{here}", status_code=303)
        day = _day(request.path_params["day"])
        if day is None:
            return self.refused(request, viewer, None, 404, "Not found",
                                "No such day: days are written YYYY-MM-DD.")
        links = Links(self.root(request), day, self.views.slugs())
        try:
            if any(_control(str(value)) for value in request.path_params.values()):
                # In no case ref or team, and PostgreSQL refuses a NUL outright (a 500).
                response = self.not_found(request, viewer, links)
            else:
                response = handler(request, viewer, links)
        except PermanenceError as error:
            response = self.refused(request, viewer, links, 500, "Cannot show this page",
                                    " ".join(error.problems))
        if token is not None:
            self.cookie(request, response, auth.SESSION_COOKIE, token)
        return response

    def viewer(self, request: Request) -> tuple[auth.Viewer | None, str | None]:
        """The signed-in lead and, when a session was started for the single sign-on header,
        its new cookie. The header counts only from a trusted proxy, and must name a lead
        with an account; a session of another lead gives way to it."""
        now = self.clock()
        header = self.settings.sso_header
        peer = request.client.host if request.client else None
        named = ""
        if header and self.settings.trusts(peer):
            values = request.headers.getlist(header)
            if len(values) > 1:
                # The proxy sets one; another came from the browser, past a proxy that adds
                # rather than replaces. Neither can be believed.
                log.warning("%s sent %d times from %s: nobody is signed in", header,
                            len(values), peer)
                return None, None
            named = values[0].strip() if values else ""
        with Session(self.engine) as session, session.begin():
            viewer = auth.resume(session, request.cookies.get(auth.SESSION_COOKIE),
                                 self.settings, now)
            if not named or (viewer is not None and viewer.account.lead_id == named):
                return viewer, None
            if viewer is not None:
                store.end_session(session=session, token_hash=viewer.session_hash)
            account = store.account(session=session, lead_id=named)
            if account is None:
                return None, None
            self.end_expired(session, now)
            token, viewer = auth.start(session, account, now)
            return viewer, token

    def end_expired(self, session: Session, now: datetime) -> None:
        """Delete the ended sessions' rows, at most once a minute: single sign-on starts a
        session for every request that comes without the cookie, and may be all the sign-in
        there is."""
        if self.swept is not None and now - self.swept < SWEEP_EVERY:
            return
        self.swept = now
        store.end_expired_sessions(session=session, now=now, idle=self.settings.idle,
                                   lifetime=self.settings.lifetime)

    def frame(self, viewer: auth.Viewer, links: Links) -> dict[str, Any]:
        """What the web page's frame shows round every page: who is signed in, where to go."""
        lead = viewer.account
        return {
            "lead": lead.name, "lead_id": lead.lead_id, "role": lead.role.replace("_", " "),
            "sees": "every team" if viewer.every_team else f"team {lead.team}",
            "board": links.board, "over_time": links.over_time(),
            "teams": [(team, links.team(team)) for team in links.slugs if viewer.may_see(team)],
            "previous": links.on(links.day - timedelta(days=1)),
            "next": links.on(links.day + timedelta(days=1)),
            "today": links.on(service_today()), "csrf": viewer.csrf,
            "sign_out": f"{links.root}/sign-out"}

    def refused(self, request: Request, viewer: auth.Viewer, links: Links | None, status: int,
                heading: str, message: str) -> Response:
        if links is None:
            links = Links(self.root(request), service_today(), self.views.slugs())
        text = self.views.environment.get_template("refused.html.j2").render(
            web=self.frame(viewer, links), heading=heading, message=message)
        return HTMLResponse(text, status_code=status)

    def board(self, request: Request, viewer: auth.Viewer, links: Links) -> Response:
        return HTMLResponse(self.views.board(self.frame(viewer, links), links, viewer.scope))

    def board_file(self, request: Request, viewer: auth.Viewer, links: Links) -> Response:
        return self.scope_file(request, viewer, links, viewer.scope, links.board)

    def team(self, request: Request, viewer: auth.Viewer, links: Links) -> Response:
        team = self.team_of(request, viewer, links)
        if isinstance(team, Response):
            return team
        return HTMLResponse(self.views.board(self.frame(viewer, links), links, team))

    def team_file(self, request: Request, viewer: auth.Viewer, links: Links) -> Response:
        team = self.team_of(request, viewer, links)
        if isinstance(team, Response):
            return team
        file = request.path_params["file"]
        frame = self.frame(viewer, links)
        number = _page_number(file, "timelines-")
        if number is not None:
            text = self.views.timeline_page(frame, links, team, number,
                                            viewer.account.with_names)
        else:
            number = _page_number(file, "drift-")
            if number is None:
                return self.scope_file(request, viewer, links, team, links.team(team))
            text = self.views.drift_page(frame, links, team, number)
        return HTMLResponse(text) if text is not None else self.not_found(request, viewer, links)

    def team_of(self, request: Request, viewer: auth.Viewer, links: Links) -> str | Response:
        """The team a team page's address names, if the lead may see it."""
        slug = request.path_params["slug"]
        team = next((name for name, known in links.slugs.items() if known == slug), None)
        if team is None or not viewer.may_see(team):
            return self.not_found(request, viewer, links)
        return team

    def scope_file(self, request: Request, viewer: auth.Viewer, links: Links,
                   team: str | None, base: str) -> Response:
        """The report's own file names within a board's folder."""
        file = request.path_params["file"]
        if file == "index.html":
            return RedirectResponse(base, status_code=303)
        if file == "quality.html":
            return HTMLResponse(self.views.quality(self.frame(viewer, links), links, team))
        if file == "scorecard.html":
            return HTMLResponse(self.views.scorecard(self.frame(viewer, links), links, team))
        if file in {"measures.csv", "measures.json"}:
            text = self.views.figures(links, team, as_csv=file.endswith(".csv"))
            media = "text/csv" if file.endswith(".csv") else "application/json"
            return Response(text, media_type=f"{media}; charset=utf-8")
        if file == "drift-over-time" and base == links.board:
            return HTMLResponse(self.views.over_time(
                self.frame(viewer, links), links, None if viewer.every_team else [
                    viewer.account.team]))
        return self.not_found(request, viewer, links)

    def case(self, request: Request, viewer: auth.Viewer, links: Links) -> Response:
        with Session(self.engine) as session:
            facts = store.load_case_facts(session=session, timelines=self.views.timelines,
                                          case_refs=[request.path_params["case_ref"]])
        if not facts or not viewer.may_see(facts[0].team):
            return self.not_found(request, viewer, links)
        case = facts[0]
        return HTMLResponse(self.views.case_page(self.frame(viewer, links), links, case,
                                                 viewer.account.with_names,
                                                 viewer.account.lead_id))

    def explain(self, request: Request, viewer: auth.Viewer, form: dict[str, str]) -> Response:
        """The timeline's form: an explanation of one step, given today by the lead signed
        in, who must be the step's owner or a lead it escalates to (403 otherwise); a case of
        a team they may not see is not found. Back to the child's timeline of today."""
        today = service_today()
        links = Links(self.root(request), today, self.views.slugs())
        case_ref, milestone = form.get("case_ref", ""), form.get("milestone", "")
        if _control(case_ref) or _control(milestone):
            return self.not_found(request, viewer, links)
        timelines = self.views.timelines
        with Session(self.engine) as session, session.begin():
            facts = store.load_case_facts(session=session, timelines=timelines,
                                          case_refs=[case_ref]) if case_ref else []
            if not facts or not viewer.may_see(facts[0].team):
                return self.not_found(request, viewer, links)
            case = facts[0]
            problem = explanation_problem(case_ref, milestone, today, {
                case_ref: (case.timeline, case.looked_after_on)}, timelines, case)
            rule = timelines[case.timeline].milestone(milestone)
            if problem is None and rule is not None:
                allowed = who_may_explain(rule, case, LeadDirectory(store.lead_roles(
                    session=session)))
                if viewer.account.lead_id not in allowed:
                    names = store.lead_names(session=session)
                    return self.refused(
                        request, viewer, links, 403, "Refused",
                        f"Only the step's owner and the leads it escalates to may explain it "
                        f"({', '.join(names.get(lead, lead) for lead in allowed) or 'nobody'}"
                        "): nothing was recorded.")
                problem = _explanation_form_problem(form, today)
            if problem is not None:
                return self.refused(request, viewer, links, 400, "Not recorded",
                                    f"{problem}. Nothing was recorded: go back, correct it and "
                                    "send the form again.")
            store.add_explanation(session=session, case_ref=case_ref, milestone=milestone,
                                  reason=form["reason"], next_action=form["next"],
                                  next_by=date.fromisoformat(form["by"]), explained_on=today,
                                  explained_by=viewer.account.lead_id, source="web")
        return RedirectResponse(f"{links.case(case_ref)}#explanations", status_code=303)

    def not_found(self, request: Request, viewer: auth.Viewer, links: Links) -> Response:
        """What is not there, and what is in a team the lead may not see, alike: a refusal
        would tell a lead which case refs and teams exist elsewhere."""
        return self.refused(request, viewer, links, 404, "Not found",
                            f"Nothing is at {request.url.path}.")


async def read_body(request: Request) -> bytes | None:
    """A form's body, or None once it is longer than auth.FORM_LIMIT: a Content-Length over it
    is refused before reading, and a body without one is read only until it passes the limit,
    so nobody can make the page hold a large body in memory (no sign-in is needed to post)."""
    length = request.headers.get("content-length", "")
    if re.fullmatch(r"[0-9]+", length) and int(length) > auth.FORM_LIMIT:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > auth.FORM_LIMIT:
            return None
    return bytes(body)


def too_large() -> Response:
    return PlainTextResponse(f"A form is at most {auth.FORM_LIMIT} bytes.\n", status_code=413)


def _control(text: str) -> bool:
    """Whether the text holds a control character (NUL, a newline, an escape...)."""
    return re.search(r"[\x00-\x1f\x7f-\x9f]", text) is not None


def _explanation_form_problem(form: dict[str, str], today: date) -> str | None:
    """What is wrong with the form's reason, next action and date, said with its labels."""
    for field, label in (("reason", "Why it is drifting"), ("next", "The next action")):
        if (problem := text_problem(label, form.get(field, ""))) is not None:
            return problem
    try:
        next_by = csvfiles.parse_future_date(form.get("by", ""), "To be done by", today,
                                             csvfiles.PLANNED_YEARS_AHEAD)
    except ValueError as error:
        return str(error)
    problem = by_problem(next_by, today)
    return None if problem is None else f"To be done by {problem}"


def _day(text: str) -> date | None:
    """A day in an address, YYYY-MM-DD, in the years the command line's --as-of takes."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 9899 else None


def _page_number(file: str, prefix: str) -> int | None:
    """N of `PREFIXN.html`, or None."""
    if not (file.startswith(prefix) and file.endswith(".html")):
        return None
    number = file[len(prefix):-len(".html")]
    # ASCII digits only: str.isdigit() takes "²", which int() refuses.
    return int(number) if re.fullmatch(r"[0-9]{1,6}", number) else None


def create_app(engine: Engine, views: Views, settings: WebSettings,
               clock: Callable[[], datetime] = utc_now) -> ASGIApp:
    """The page as an ASGI application, every answer with SECURITY_HEADERS. `clock` tells the
    time sessions are measured by: the wall clock, or a test's own."""
    return SecurityHeaders(Starlette(routes=WebApp(engine, views, settings, clock).routes()))

