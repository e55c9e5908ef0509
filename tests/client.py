"""A test client that signs in through the real sign-in page and sends CSRF tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

import pyotp
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
        """Sign in through the real pages: the password, then (for the roles that need it)
        setting up two-factor from the set-up page's key, or a code from the saved key."""
        token = self.csrf_token("/sign-in")
        response = self.post(
            "/sign-in",
            data={"email": user.email, "password": password or self.password, "csrf_token": token},
        )
        assert response.status_code == 302, "sign-in failed"
        location = response.headers["Location"]
        path = urlsplit(location).path
        if path == "/sign-in/two-factor/set-up":
            soup = self.page(location)
            secret = soup.select_one(".registry-secret").get_text().replace(" ", "")
            response = self.submit(location, {"code": self.totp_code(user, secret)})
        elif path == "/sign-in/two-factor":
            response = self.submit(location, {"code": self.totp_code(user)})
        assert response.status_code == 302 and not urlsplit(
            response.headers["Location"]
        ).path.startswith("/sign-in"), "two-factor failed"
        self.get(response.headers["Location"])  # as a browser would (and shows any message)
        return response

    def totp_code(self, user, secret: str | None = None) -> str:
        """A code the server has not yet seen from this user: the registry's clock is
        fixed in tests, so take the next unused step of the three it accepts."""
        from sqlalchemy import select

        from registry.clock import now
        from registry.extensions import db
        from registry.models import User
        from registry.services.two_factor import unseal
        from registry.web.settings import totp_key

        with self.application.app_context():
            stored, last = db.session.execute(
                select(User.totp_secret, User.totp_step).where(User.id == user.id)
            ).one()
            saved = unseal(stored, user.id, totp_key()) if stored else None
            current = int(now().timestamp()) // 30
        step = current - 1 if last is None else max(current - 1, last + 1)
        assert step <= current + 1, "signed in too often within one 30-second step"
        return pyotp.TOTP(secret or saved).at(step * 30)

    def proof(self, user) -> dict:
        """What the sign and decline pages take as fresh proof from `user`: a code not yet
        used, or the password of a user without two-factor sign-in."""
        from registry.extensions import db
        from registry.models import User

        with self.application.app_context():
            enrolled = db.session.get(User, user.id).totp_secret is not None
            db.session.remove()
        return {"code": self.totp_code(user)} if enrolled else {"password": self.password}

    def submit(self, url: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        """POST a form as a browser would: with the CSRF token of the page it came from."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token(token_from or url))
        return self.post(url, data=payload, **kwargs)
