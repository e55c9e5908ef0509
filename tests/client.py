"""A test client that signs in through the real sign-in page and sends CSRF tokens."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask.testing import FlaskClient


class RegistryClient(FlaskClient):
    password = "correct horse battery staple"

    def open(self, *args, **kwargs):
        # The tests hold an app context for their own database work; Flask would reuse it
        # for the request, sharing `g` (and the session) between requests. Give every
        # request its own context, as a real server does.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def page(self, url: str, status: int = 200) -> BeautifulSoup:
        response = self.get(url)
        assert response.status_code == status, (url, response.status_code)
        return BeautifulSoup(response.data, "html.parser")

    def csrf_token(self, url: str = "/") -> str:
        soup = BeautifulSoup(self.get(url).data, "html.parser")
        field = soup.find("input", attrs={"name": "csrf_token"})
        assert field is not None, f"no CSRF token on {url}"
        return field["value"]

    def sign_in(self, user, password: str | None = None):
        token = self.csrf_token("/sign-in")
        response = self.post("/sign-in", data={"email": user.email,
                                               "password": password or self.password,
                                               "csrf_token": token})
        assert response.status_code == 302, "sign-in failed"
        return response

    def submit(self, url: str, data: dict | None = None, token_from: str | None = None,
               **kwargs):
        """POST a form as a browser would: with the CSRF token of the page it came from."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token(token_from or url))
        return self.post(url, data=payload, **kwargs)
