"""`GET /api/v1/agreements/{id}/terms.jsonld`: a version's terms as JSON-LD.

Anyone may read the terms of a tier-1 or tier-2 agreement's version in force, as the
public register shows it (services/terms.py, `public_version`); everything else needs a
bearer token, as GET /agreements/{id} does, and without one the answer is the same 401
whether or not the agreement exists, so its existence does not leak."""

from __future__ import annotations

from flask import current_app

from ...clock import today
from ...extensions import db
from ...models import Agreement
from ...services import terms
from ...services.agreement_reads import get_agreement, get_version
from ..errors import api_error
from ..permissions import current_account, public
from ..settings import status_settings
from . import bp, contract
from .body import query
from .spec import api


def _sign_in():
    """The 401 the signed-in routes give (permissions.signed_in)."""
    return api_error(401, "unauthenticated", "Send a valid bearer token")


@api(
    bp,
    "/agreements/<int:agreement_id>/terms.jsonld",
    "GET",
    "A version's terms as JSON-LD (W3C DPV and ODRL): the version in force, else the "
    "latest, or ?version=N. Without a token: tier-1 and tier-2 agreements in force only",
    response=contract.TermsDocument,
    content_type=terms.MEDIA_TYPE,
    query=contract.TermsQuery,
    public=True,
    errors=(401, 404, 422),
)
@public
def agreement_terms(agreement_id: int):
    asked = query(contract.TermsQuery).version
    if current_account() is None:
        agreement = db.session.get(Agreement, agreement_id)
        shown = (
            None
            if agreement is None
            else terms.public_version(agreement, today(), status_settings())
        )
        # Any version but the public one is for signed-in users, whether it exists or
        # not: a 404 for one that does not would tell anyone which drafts there are.
        if agreement is None or shown is None or asked not in (None, shown.number):
            return _sign_in()
        version = shown
    else:
        agreement = get_agreement(db.session, agreement_id)
        number = asked or terms.default_version(agreement, today(), status_settings()).number
        version = get_version(agreement, number)
    response = current_app.response_class(
        terms.terms_bytes(db.session, agreement, version), mimetype=terms.MEDIA_TYPE
    )
    response.headers["Cache-Control"] = "no-store"
    return response
