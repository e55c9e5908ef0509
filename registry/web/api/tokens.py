"""A user's own API tokens: list them (never their secrets) and revoke one."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...clock import now
from ...extensions import db
from ...models import ApiToken
from ...services import users as service
from ..permissions import current_account, current_actor, signed_in
from . import bp, contract
from .spec import api


def describe(token: ApiToken, current_id: int | None = None) -> dict[str, Any]:
    """A token as its owner sees it: its label, never its secret."""
    return {
        "id": token.id,
        "name": token.name,
        "hint": token.hint,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "current": token.id == current_id,
    }


def _current_token_id() -> int | None:
    return getattr(current_account(), "token_id", None)


@api(
    bp,
    "/tokens",
    "GET",
    "Your own API tokens that still work, newest first (their labels, never the tokens); "
    "`current` marks the one this request was made with",
    response=contract.ApiTokenList,
    errors=(401,),
)
@signed_in()
def list_tokens():
    tokens = service.live_tokens(db.session, current_actor().user_id or 0, now=now())
    current = _current_token_id()
    return jsonify(items=[describe(t, current) for t in tokens], total=len(tokens))


@api(
    bp,
    "/tokens/<int:token_id>",
    "DELETE",
    "Revoke one of your own tokens (it stops working at once); anyone else's token is not found",
    response=contract.ApiToken,
    errors=(401, 404),
)
@signed_in()
def revoke_token(token_id: int):
    token = service.revoke_token(db.session, current_actor(), token_id, now=now())
    return jsonify(describe(token, _current_token_id()))
