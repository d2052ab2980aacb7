"""PERMANENCE_WEB_URL: the address the web page is reached at, from which the daily check's
`drift-report` artifact and other links are made."""

from __future__ import annotations

import pytest

from permanence.config import web_base_url
from permanence.errors import BadInput


class TestWebBaseUrl:
    """The base URL is read as written, without its trailing slash; unset means no links, and
    anything but an http(s) address is refused in one sentence naming the variable."""

    def test_unset_is_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PERMANENCE_WEB_URL", raising=False)
        assert web_base_url() is None
        monkeypatch.setenv("PERMANENCE_WEB_URL", "  ")
        assert web_base_url() is None

    @pytest.mark.parametrize(("value", "expected"), [
        ("https://permanence.example.org", "https://permanence.example.org"),
        ("https://permanence.example.org/", "https://permanence.example.org"),
        ("http://127.0.0.1:8080/tracker/", "http://127.0.0.1:8080/tracker"),
    ])
    def test_read_without_trailing_slash(self, monkeypatch: pytest.MonkeyPatch, value: str,
                                         expected: str) -> None:
        monkeypatch.setenv("PERMANENCE_WEB_URL", value)
        assert web_base_url() == expected
        assert f"{web_base_url()}/days/2026-11-16/".startswith(expected + "/days/")

    @pytest.mark.parametrize("value", ["file:///srv/reports", "permanence.example.org",
                                       "https://", "https://host.example.org/?a=1"])
    def test_refused(self, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
        monkeypatch.setenv("PERMANENCE_WEB_URL", value)
        with pytest.raises(BadInput) as raised:
            web_base_url()
        assert str(raised.value) == (
            f"PERMANENCE_WEB_URL={value!r}: expected the web page's address, http:// or "
            "https://, e.g. https://permanence.example.org")
