"""Schemathesis reads /api/v1/openapi.json and sends generated requests to every
operation, valid and invalid, as the administrator and as a practitioner: no answer may
be a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from registry.services.users import issue_token

from ..factories import FIXED_NOW, chain, make_admin, make_agency, make_officer, make_user


@pytest.fixture
def tokens(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    make_officer(session, council)
    chain(session, council, police)
    return {
        "admin": issue_token(session, make_admin(session), now=FIXED_NOW),
        "practitioner": issue_token(session, make_user(session, agency=council), now=FIXED_NOW),
    }


def test_no_generated_request_gets_a_server_error(app, tokens, caplog):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            for who in ("admin", "practitioner"):
                response = case.call(headers={"Authorization": f"Bearer {tokens[who]}"})
                if response.status_code >= 500:
                    failures.append(
                        f"{who} {case.method} {case.formatted_path}: "
                        f"{response.status_code} {case.query!r:.200} "
                        f"{case.body!r:.200}"
                    )

        fuzz()
    assert operations > 30
    causes = sorted({r.exc_text.splitlines()[-1] for r in caplog.records if r.exc_text})
    assert failures == [], "\n".join(causes + failures)
