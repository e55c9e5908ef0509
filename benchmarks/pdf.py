"""Agreement PDFs: render plus seal, and download of a stored copy through the app.

    .venv/bin/python benchmarks/pdf.py [--renders 10] [--downloads 300]

Builds a 12-party tier-1 agreement with three versions (two amendments), then times
(a) rendering and sealing version 3, the work done when a version becomes active, and
(b) GET /agreements/<id>/pdf of the stored sealed copy through the app (test client,
signed in). Targets (issue 4): (a) median <= 1.5 s; (b) p95 <= 20 ms."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._registry import fresh_database, make_app, percentile  # noqa: E402
from registry.clock import system_now  # noqa: E402
from registry.domain.actor import Actor  # noqa: E402
from registry.domain.vocab import Role  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.pdf import seal  # noqa: E402
from registry.pdf.render import render_pdf  # noqa: E402
from registry.services import agencies, agreement_lifecycle, agreements, pdfs, users  # noqa: E402

ADMIN = Actor(user_id=None, name="benchmark", roles=frozenset({Role.ADMIN}))
PASSWORD = "benchmark password"


def build(app):
    """A 12-party protocol, activated three times (versions 1, 2 and 3)."""
    now = system_now()
    today = now.date()
    parties = []
    for n in range(1, 13):
        agency = agencies.create_agency(
            db.session,
            ADMIN,
            {
                "name": f"Agency {n:02d} of the Northshire partnership",
                "kind": "health",
                "ico_registration": f"Z{8000000 + n}",
            },
            now=now,
        )
        for role in ("lead_information_officer", "caldicott_guardian"):
            agencies.add_officer(
                db.session,
                ADMIN,
                agency.id,
                {
                    "role": role,
                    "name": f"Officer {role} {n}",
                    "job_title": "Director",
                    "email": f"{role}@agency{n}.example",
                },
                today=today,
                now=now,
            )
        users.create_user(
            db.session,
            None,
            email=f"signer{n}@example.org",
            name=f"Signatory {n}",
            job_title="Chief Executive",
            password=PASSWORD,
            roles=["signatory"],
            agency_id=agency.id,
            now=now,
        )
        parties.append({"agency_id": agency.id, "may_disclose": True, "may_receive": True})
    protocol = agreements.create_draft(
        db.session,
        ADMIN,
        {
            "tier": 1,
            "owner_agency_id": parties[0]["agency_id"],
            "title": "Northshire Multi-Agency Information Sharing Protocol",
            "purposes": ["mash_triage", "early_help"],
            "data_categories": ["identity_contact"],
            "lawful_bases": ["art6_1_e"],
            "effective_from": today,
            "parties": parties,
            "retention": "Six years. " * 20,
            "security": "Secure email only. " * 20,
        },
        now=now,
    )
    for round_ in range(3):
        if round_:
            agreement_lifecycle.amend(db.session, ADMIN, protocol.id, now=now)
            agreements.update_draft(
                db.session,
                ADMIN,
                protocol.id,
                {"title": f"Northshire Protocol (revision {round_})"},
                now=now,
            )
        agreement_lifecycle.submit(db.session, ADMIN, protocol.id, now=now)
        from registry.models import User

        for party in parties:
            signer = db.session.query(User).filter_by(agency_id=party["agency_id"]).first()
            agreement_lifecycle.sign(db.session, signer.actor(), protocol.id, now=now)
    return protocol.id


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", type=int, default=10)
    parser.add_argument("--downloads", type=int, default=300)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="registry-pdf-bench-")
    app = make_app(fresh_database("sqlite", workdir, ""), workdir)
    app.config["SEAL_ON_ACTIVATION"] = False  # the renders are timed below instead
    app.config["TWO_FACTOR_ROLES"] = []  # the download is timed, not a two-factor sign-in
    with app.app_context(), app.test_request_context():
        agreement_id = build(app)
        from registry.models import Agreement

        agreement = db.session.get(Agreement, agreement_id)
        keys = seal.keys_from_config(app.config)
        static = app.static_folder
        timings = []
        for _ in range(args.renders + 1):
            started = time.perf_counter()
            body = render_pdf(pdfs.build(db.session, agreement, 3), static_folder=static)
            seal.seal(body, keys, reference=agreement.reference, version=3, location="x")
            timings.append(time.perf_counter() - started)
        timings = timings[1:]  # the first loads fonts
        app.config["SEAL_ON_ACTIVATION"] = True
        stored = pdfs.issue_sealed(db.session, agreement, agreement.latest, now=system_now())
        db.session.commit()
        size = len(stored.pdf)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/sign-in", data={"email": "signer1@example.org", "password": PASSWORD, "csrf_token": token}
    )
    downloads = []
    for n in range(args.downloads + 20):
        started = time.perf_counter()
        response = client.get(f"/agreements/{agreement_id}/pdf")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and len(response.data) == size
        if n >= 20:
            downloads.append(elapsed)
    median = statistics.median(timings)
    p95 = percentile(downloads, 95)
    print(f"pdf benchmark: 12 parties, 3 versions, sealed PDF {size:,} bytes")
    print(
        f"render + seal of version 3: median {median:.2f} s over {args.renders} "
        f"(min {min(timings):.2f}, max {max(timings):.2f}) | target <= 1.5 s: "
        f"{'met' if median <= 1.5 else 'NOT MET'}"
    )
    print(
        f"download of the stored copy: p50 {percentile(downloads, 50):.2f} ms, p95 {p95:.2f} ms "
        f"over {args.downloads} | target <= 20 ms: {'met' if p95 <= 20 else 'NOT MET'}"
    )
    return 0 if median <= 1.5 and p95 <= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
