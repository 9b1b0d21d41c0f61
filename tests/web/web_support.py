"""A small browser stand-in for page tests: follows redirects, keeps cookies,
and fills in the CSRF token the last page carried."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from httpx import Response

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Pages:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last: Response | None = None

    def get(self, path: str, **kwargs: object) -> Response:
        self.last = self.client.get(path, **kwargs)  # type: ignore[arg-type]
        return self.last

    def csrf(self) -> str:
        if self.last is None or not _CSRF.search(self.last.text):
            self.get("/login")
        assert self.last is not None
        match = _CSRF.search(self.last.text)
        assert match, "the page carries no CSRF token"
        return unescape(match.group(1))

    def submit(
        self, path: str, data: dict[str, object] | None = None, **kwargs: object
    ) -> Response:
        """POST a form as the page would, CSRF token included."""
        body = {"csrf_token": self.csrf(), **(data or {})}
        self.last = self.client.post(path, data=body, **kwargs)  # type: ignore[arg-type]
        return self.last

    def sign_in(self, email: str, password: str = PASSWORD) -> Response:
        self.get("/login")
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response


def text_of(response: Response) -> str:
    """The page's visible text, roughly: tags out, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.text)
    return " ".join(unescape(without_tags).split())
