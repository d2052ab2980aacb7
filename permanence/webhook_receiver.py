"""A small real HTTP receiver for apprise `json://` URLs, for tests and for `permanence demo`.

It listens on 127.0.0.1 (an ephemeral port unless told otherwise) in a daemon thread and keeps
every JSON message it accepts, with the URL path it was posted to, in arrival order:

    with JsonReceiver() as receiver:
        url = receiver.url_for("sw-north-1")   # json://127.0.0.1:PORT/sw-north-1
        ...                                    # give each lead their own path
        receiver.messages                      # [("sw-north-1", {"title": ..., ...}), ...]

What apprise posts (apprise 1.x, plugins/custom_json.py): `POST` (the `?method=` default) with
`Content-Type: application/json`, `User-Agent: Apprise`, and the body

    {"version": "1.0", "title": "<digest title>", "message": "<digest body>",
     "attachments": [], "type": "info"}

`type` is the apprise notify type (`info`, `success`, `warning` or `failure`); a `:key=value`
argument on the URL adds or renames payload keys. A `user:password@` in the URL arrives as HTTP
basic auth, which the receiver ignores.

Set `fail = True` to play a receiver that is down: it then answers HTTP 500 and keeps nothing,
which apprise reports as a failed delivery. A body that is not a JSON object gets HTTP 400.
Clear `answering` to play a channel that hangs: every request waits, unanswered, until it is
set again (`requested` is set once one has arrived), so a test can hold a sender mid-delivery.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

HOST = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self, status: HTTPStatus) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _receive(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        owner = self.server.owner
        owner.requested.set()
        owner.answering.wait()
        if owner.fail:
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._answer(HTTPStatus.BAD_REQUEST)
            return
        owner._keep(urlsplit(self.path).path.strip("/"), payload)
        self._answer(HTTPStatus.OK)

    # apprise's json:// posts by default; `?method=put` and friends land here too.
    do_POST = do_PUT = do_PATCH = _receive

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: a demo's terminal and a test's output are not access logs."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Join request threads on close, so no socket outlives the receiver.
    block_on_close = True

    def __init__(self, address: tuple[str, int], owner: JsonReceiver) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class JsonReceiver:
    """An HTTP endpoint on 127.0.0.1 that keeps each JSON message posted to it, with its path."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._lock = threading.Lock()
        self._messages: list[tuple[str, dict[str, Any]]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.fail = False
        self.answering = threading.Event()
        self.answering.set()
        self.requested = threading.Event()

    # Lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and start serving in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("this JsonReceiver is already running")
        self._server = _Server((HOST, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"json-receiver-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self.answering.set()  # a held request would keep its thread, and so the close, waiting
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # Addresses and messages ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (the ephemeral one chosen at start when asked for 0)."""
        if self._server is None:
            raise RuntimeError("start the JsonReceiver before asking for its port")
        return int(self._server.server_address[1])

    def url_for(self, path: str = "") -> str:
        """The apprise URL that posts to `path` here, e.g. `json://127.0.0.1:PORT/sw-1`."""
        return f"json://{HOST}:{self.port}/{path.strip('/')}"

    @property
    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """A copy of every (path, payload) kept so far, in arrival order; path has no slashes
        at either end and no query."""
        with self._lock:
            return list(self._messages)

    def messages_for(self, path: str) -> list[dict[str, Any]]:
        """The payloads posted to one path, in arrival order."""
        wanted = path.strip("/")
        return [payload for got, payload in self.messages if got == wanted]

    def clear(self) -> None:
        """Forget every message kept so far."""
        with self._lock:
            self._messages.clear()

    def _keep(self, path: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._messages.append((path, payload))
