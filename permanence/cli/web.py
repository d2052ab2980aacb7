"""Commands for the web page: `web` serves it, `user add`, `user remove` and `user list` say
who may sign in to it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from permanence import store
from permanence.cli.settings import Settings, plain_errors, session_for
from permanence.errors import BadInput
from permanence.terminal import out
from permanence.web.auth import PASSWORD_MINIMUM, hash_password
from permanence.web.settings import DEFAULT_HOST, DEFAULT_PORT, WebSettings

HostOption = Annotated[str, typer.Option(
    "--host", metavar="ADDRESS",
    help="Address to listen on (default 127.0.0.1: this machine only; put a reverse proxy "
         "with TLS in front for others).")]
PortOption = Annotated[int, typer.Option("--port", min=0, max=65535,
                                         help="Port to listen on (0: any free port).")]


@plain_errors
def web(ctx: typer.Context, host: HostOption = DEFAULT_HOST,
        port: PortOption = DEFAULT_PORT) -> None:
    """Serve the web page: the RAG board, team pages, children's timelines and drift over
    time, to leads signed in (`permanence user add`); until stopped."""
    from permanence.web.server import listen, run, web_app  # uvicorn: for this command only

    settings: Settings = ctx.obj
    app = web_app(settings.engine(), settings.timelines(), WebSettings.from_environment())
    sock = listen(host, port)
    out.print(f"The web page is at {address(host, sock.getsockname()[1])} (Ctrl-C stops it).",
              markup=False)
    run(app, sock)


def address(host: str, port: int) -> str:
    """Where the page listens, as a browser is given it (port 0 asks for a free port)."""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


@plain_errors
def user_add(
    ctx: typer.Context,
    lead_id: Annotated[str, typer.Argument(metavar="LEAD_ID",
                                           help="A lead already imported.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input "
                                 "instead of asking for it twice.")] = False,
    with_names: Annotated[bool, typer.Option(
        "--with-names", help="Show this lead children's names, where `report --with-names` "
                             "shows them.")] = False,
    sso_only: Annotated[bool, typer.Option(
        "--sso-only", help="No password: the lead signs in only through the single sign-on "
                           "header (PERMANENCE_WEB_SSO_HEADER).")] = False,
) -> None:
    """Let a lead sign in to the web page, or set their password and name access again
    (which signs them out everywhere). They see their team; a lead with team * every team."""
    settings: Settings = ctx.obj
    with session_for(settings) as session:
        if lead_id not in store.lead_ids(session=session):
            raise BadInput(f"{lead_id!r} is not a lead in the store; import it with "
                           "`permanence import leads` first")
    if sso_only and password_stdin:
        raise BadInput("--sso-only sets no password: leave out --password-stdin")
    password_hash = None if sso_only else hash_password(_password(password_stdin))
    with session_for(settings) as session:
        created = store.save_account(session=session, lead_id=lead_id,
                                     password_hash=password_hash, with_names=with_names)
    how = "through single sign-on only" if sso_only else "with a password"
    names = ", children's names shown" if with_names else ""
    verb = "can now sign in" if created else "was updated and signed out everywhere; signs in"
    out.print(f"{lead_id} {verb} to the web page {how}{names}.", markup=False)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < PASSWORD_MINIMUM:
        raise BadInput(f"the password must be at least {PASSWORD_MINIMUM} characters long")
    return password


@plain_errors
def user_remove(ctx: typer.Context,
                lead_id: Annotated[str, typer.Argument(metavar="LEAD_ID")]) -> None:
    """Stop a lead signing in to the web page, ending their sessions (a lead who had no
    account is left as they were: removing twice is not a mistake)."""
    settings: Settings = ctx.obj
    with session_for(settings) as session:
        removed = store.remove_account(session=session, lead_id=lead_id)
    said = ("can no longer sign in to the web page." if removed
            else "had no account on the web page; nothing changed.")
    out.print(f"{lead_id} {said}", markup=False)


@plain_errors
def user_list(ctx: typer.Context) -> None:
    """Every lead who may sign in to the web page, one a line, tab-separated: lead id, name,
    role, what they see, password or single sign-on only, and whether they see names."""
    settings: Settings = ctx.obj
    with session_for(settings) as session:
        found = store.accounts(session=session)
    if not found:
        out.print("No lead can sign in to the web page yet: `permanence user add LEAD_ID`.",
                  markup=False)
    for account in found:
        sees = "every team" if account.team == "*" else f"team {account.team}"
        how = "password" if account.password_hash else "single sign-on only"
        names = ", names" if account.with_names else ""
        typer.echo(f"{account.lead_id}\t{account.name}\t{account.role}\t{sees}\t{how}{names}")
