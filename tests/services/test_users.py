import pytest

from registry.domain.errors import Conflict, Forbidden, ValidationFailed
from registry.services import users

from ..factories import FIXED_NOW, make_admin, make_agency, make_user


def test_passwords_are_argon2id_and_checked(session):
    user = make_user(session)
    assert user.password_hash.startswith("$argon2id$")
    right = "correct horse battery staple"
    assert users.authenticate(session, user.email, right, now=FIXED_NOW) == user
    assert users.authenticate(session, user.email.upper(), right, now=FIXED_NOW) == user
    assert users.authenticate(session, user.email, "wrong password!!", now=FIXED_NOW) is None
    assert (
        users.authenticate(session, "nobody@example.org", "anything at all", now=FIXED_NOW) is None
    )


def test_a_hash_made_with_other_parameters_is_remade_at_the_next_sign_in(session):
    from argon2 import PasswordHasher, extract_parameters

    user = make_user(session)
    right = "correct horse battery staple"
    older = PasswordHasher(time_cost=3, memory_cost=2048, parallelism=2).hash(right)
    user.password_hash = older
    session.commit()
    assert users.authenticate(session, user.email, "wrong password!!", now=FIXED_NOW) is None
    session.refresh(user)
    assert user.password_hash == older  # a wrong password changes nothing
    assert users.authenticate(session, user.email, right, now=FIXED_NOW) == user
    session.refresh(user)
    now_made = extract_parameters(user.password_hash)
    assert user.password_hash != older
    assert (now_made.time_cost, now_made.memory_cost, now_made.parallelism) == (
        users._hasher.time_cost,
        users._hasher.memory_cost,
        users._hasher.parallelism,
    )
    assert users.authenticate(session, user.email, right, now=FIXED_NOW) == user


def test_the_registry_hashes_at_owasp_s_recommended_argon2id_parameters():
    """OWASP's Password Storage Cheat Sheet: argon2id, 19 MiB, two passes, one lane. (The
    tests themselves hash with a cheap hasher, conftest.py.)"""
    assert users.ARGON2_PARAMETERS == {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


def test_roles_and_agency_must_agree(session):
    agency = make_agency(session)
    with pytest.raises(ValidationFailed) as caught:
        users.create_user(
            session,
            None,
            email="a@example.org",
            name="A",
            password="x" * 12,
            roles=["admin"],
            agency_id=agency.id,
            now=FIXED_NOW,
        )
    assert "agency_id" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        users.create_user(
            session,
            None,
            email="b@example.org",
            name="B",
            password="x" * 12,
            roles=["practitioner"],
            agency_id=None,
            now=FIXED_NOW,
        )
    assert "agency_id" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        users.create_user(
            session,
            None,
            email="c@example.org",
            name="C",
            password="short",
            roles=["wizard"],
            agency_id=agency.id,
            now=FIXED_NOW,
        )
    assert set(caught.value.fields) >= {"password", "roles"}


def test_duplicate_email_conflicts(session):
    make_user(session, email="same@example.org", agency=make_agency(session))
    with pytest.raises(Conflict):
        make_user(session, email="Same@Example.org", agency=make_agency(session))


def test_only_the_admin_manages_users(session):
    agency = make_agency(session)
    lead = make_user(session, roles=("ig_lead",), agency=agency)
    with pytest.raises(Forbidden):
        users.create_user(
            session,
            lead.actor(),
            email="x@example.org",
            name="X",
            password="y" * 12,
            roles=["practitioner"],
            agency_id=agency.id,
            now=FIXED_NOW,
        )


def test_disabling_ends_sessions_and_tokens(session):
    admin = make_admin(session)
    user = make_user(session, agency=make_agency(session))
    token = users.issue_token(session, user, now=FIXED_NOW)
    epoch = user.session_epoch
    assert users.user_for_token(session, token, now=FIXED_NOW).id == user.id
    users.update_user(session, admin.actor(), user.id, active=False, now=FIXED_NOW)
    assert users.user_for_token(session, token, now=FIXED_NOW) is None
    assert user.session_epoch == epoch + 1
    assert (
        users.authenticate(session, user.email, "correct horse battery staple", now=FIXED_NOW)
        is None
    )


def test_an_admin_cannot_disable_itself(session):
    admin = make_admin(session)
    with pytest.raises(ValidationFailed):
        users.update_user(session, admin.actor(), admin.id, active=False, now=FIXED_NOW)
