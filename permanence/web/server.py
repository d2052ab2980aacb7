"""Running the web page: uvicorn on a socket bound before anything else starts, so a port in
use is refused in one sentence rather than a traceback in a thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

import uvicorn
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from permanence.config import web_base_url
from permanence.errors import BadInput
from permanence.models import utc_now
from permanence.timelines import Timeline
from permanence.web.app import create_app
from permanence.web.settings import WebSettings
from permanence.web.views import Views


def web_app(engine: Engine, timelines: Mapping[str, Timeline],
            settings: WebSettings | None = None,
            clock: Callable[[], datetime] = utc_now) -> ASGIApp:
    return create_app(engine, Views(engine, timelines),
                      settings or WebSettings.from_environment(), clock)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or one sentence saying why not."""
    sock: socket.socket | None = None
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        if sock is not None:
            sock.close()
        raise BadInput(f"the web page cannot listen on {host}:{port}: {error.strerror or error}"
                       "; choose another --host or --port") from None
    return sock


def server(app: ASGIApp, sock: socket.socket) -> uvicorn.Server:
    """uvicorn on `sock`. Forwarded-for headers are not believed: the single sign-on header
    is trusted by the connection's own peer address (WebSettings.trusts). A path in
    PERMANENCE_WEB_URL (`https://example.org/tracker`) is where a reverse proxy mounts the
    page, taking the path off before it forwards: links are made under it."""
    mount = urlsplit(web_base_url() or "").path.rstrip("/")
    return uvicorn.Server(uvicorn.Config(app, proxy_headers=False, log_level="info",
                                         server_header=False, root_path=mount))


def run(app: ASGIApp, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM)."""
    server(app, sock).run(sockets=[sock])


def run_beside(app: ASGIApp, sock: socket.socket) -> threading.Thread:
    """Serve from a thread of this process, for `permanence serve`, whose main thread runs
    the daily check's schedule; it stops with the process."""
    thread = threading.Thread(target=run, args=(app, sock), name="permanence-web", daemon=True)
    thread.start()
    return thread
