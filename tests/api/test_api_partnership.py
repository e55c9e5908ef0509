"""GET /api/v1/partnership: the administrator's figures, each with the API request that
lists exactly what it counts (the home page's figures, issue 19 point 6)."""

from __future__ import annotations

from registry.domain.vocab import OfficerRole
from registry.web.api.openapi import document

from ..factories import make_admin, make_user
from ..web.test_admin_dashboard import _partnership
from .test_openapi import _validate


def _listed(api, figure: dict) -> int:
    path = figure["list"].removeprefix("/api/v1")
    response = api.get(path)
    assert response.status_code == 200, (path, response.get_json())
    return response.get_json()["total"]


def test_each_figure_counts_what_its_list_holds(api_as, session):
    trust = _partnership(session)
    api = api_as(make_admin(session))
    response = api.get("/partnership")
    assert response.status_code == 200
    _validate(document(), "/partnership", "get", response)
    body = response.get_json()
    expected = {
        "review_overdue": 1,
        "lapsed": 1,
        "exceeds_parent": 0,
        "signatures_late": 1,
        "shares_without_cover": 1,
    }
    for key, count in expected.items():
        assert body[key]["count"] == count, key
        assert _listed(api, body[key]) == count, key
    gaps = {gap["role"]: gap for gap in body["officer_gaps"]}
    assert set(gaps) == {
        r.value
        for r in (
            OfficerRole.LEAD_INFORMATION_OFFICER,
            OfficerRole.CALDICOTT_GUARDIAN,
            OfficerRole.SIRO,
            OfficerRole.DPO,
        )
    }
    assert gaps["caldicott_guardian"]["count"] == 1
    listed = api.get(gaps["caldicott_guardian"]["list"].removeprefix("/api/v1")).get_json()
    assert [a["id"] for a in listed["items"]] == [trust.id]
    for gap in gaps.values():
        assert _listed(api, gap) == gap["count"], gap["role"]


def test_only_the_administrator_reads_the_figures(api_as, session):
    trust = _partnership(session)
    for roles in (("ig_lead",), ("practitioner",), ("signatory",)):
        user = make_user(session, roles=roles, agency=trust)
        assert api_as(user).get("/partnership").status_code == 403, roles
    assert api_as(None).get("/partnership").status_code == 401
