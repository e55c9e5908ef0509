import pytest

from registry.services.users import issue_token

from ..conftest import FIXED_NOW


class Api:
    """JSON calls with a bearer token for one user."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __getattr__(self, method):
        def call(path, json=None, **kwargs):
            response = self.client.open(
                f"/api/v1{path}",
                method=method.upper(),
                json=json,
                headers={**self.headers, **kwargs.pop("headers", {})},
                **kwargs,
            )
            return response

        return call


@pytest.fixture
def api_as(client, session):
    def make(user):
        return Api(client, issue_token(session, user, now=FIXED_NOW) if user else None)

    return make
