"""An agreement version's terms as data (JSON-LD): who may disclose what to whom, for
which purposes, on which lawful bases, from when.

A partner's case system or registry reads the agreement from this rather than from the
printed pages. It is embedded in the sealed PDF (an associated file of the PDF/A-3) and
served at GET /api/v1/agreements/{id}/terms.jsonld. The same version in the same state
always gives the same bytes.

Two views of the same facts sit side by side:
- linked data in W3C terms: DPV for purposes, personal-data categories, lawful bases and
  the parties as controllers; ODRL for the permissions (each party that may disclose, to
  each party that may receive, of the agreement's data, for its purposes, from its
  effective date). Each registry code is a node with its code as skos:notation and, where
  DPV has a term that fits, a SKOS mapping to it (docs/TERMS.md gives the table and says
  where none fits);
- `registry`: the registry's own fields and codes as plain JSON, for a system that knows
  only those. JSON-LD processors pass over it (its key is not in the context).

Identifiers of the registry's own things are relative IRIs: `#purpose-marac` inside the
document, `/api/v1/agreements/7/terms.jsonld` for another agreement. Read from the API
they resolve against its address; a copy taken out of a PDF resolves them against the
registry's address (docs/TERMS.md)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from ..domain.agreements import Vocabulary
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import TIER_LABELS, LawfulBasisKind
from ..models import Agreement, AgreementVersion
from . import vocabularies
from .agreement_reads import standing

MEDIA_TYPE = "application/ld+json"

CONTEXT: dict[str, Any] = {
    "@version": 1.1,
    "dct": "http://purl.org/dc/terms/",
    "dpv": "https://w3id.org/dpv#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "legal-gb": "https://w3id.org/dpv/legal/gb#",
    "loc": "https://w3id.org/dpv/loc#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "pd": "https://w3id.org/dpv/pd#",
    "schema": "https://schema.org/",
    "sector-education": "https://w3id.org/dpv/sector/education#",
    "sector-health": "https://w3id.org/dpv/sector/health#",
    "sector-law": "https://w3id.org/dpv/sector/law#",
    "sector-publicservices": "https://w3id.org/dpv/sector/publicservices#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# The seeded codes' DPV terms (DPV 2.3), as SKOS mapping relations: exactMatch and
# closeMatch (the same idea), broadMatch (DPV's term is wider than the code), narrowMatch
# (DPV's terms are each narrower: the code covers them together). A code not listed (an
# administrator's own, or one DPV has no term for) carries its code and label only.
PURPOSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "child_in_need_s17": ("skos:broadMatch", ("sector-publicservices:SocialAssistanceManagement",)),
    "early_help": ("skos:broadMatch", ("sector-publicservices:SocialAssistanceManagement",)),
    "marac": ("skos:broadMatch", ("sector-law:CrimeVictimSafetyManagement",)),
    "lac_health_assessment": ("skos:broadMatch", ("sector-health:HealthcareServiceManagement",)),
    "education_attendance": ("skos:closeMatch", ("sector-education:StudentAttendanceManagement",)),
}
DATA_CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "identity_contact": ("skos:narrowMatch", ("pd:Identifying", "pd:Contact")),
    "family_household": ("skos:closeMatch", ("pd:Family",)),
    "education": ("skos:closeMatch", ("pd:Education",)),
    "health": ("skos:closeMatch", ("pd:Health",)),
    "ethnicity": ("skos:closeMatch", ("pd:EthnicOrigin",)),
    "criminal_offence": ("skos:narrowMatch", ("pd:CriminalOffence", "pd:CriminalConviction")),
    "police_intelligence": ("skos:broadMatch", ("pd:Criminal",)),
    "financial": ("skos:closeMatch", ("pd:FinancialStatus",)),
}
# UK GDPR keeps the EU GDPR's article numbers; DPV names the articles in its EU GDPR
# extension only, so a UK article maps to its EU namesake as a close match.
_ARTICLES = {
    f"art{article}_{paragraph}_{point}": (
        "skos:closeMatch",
        (f"eu-gdpr:A{article}-{paragraph}-{point}",),
    )
    for article, paragraph, points in (("6", "1", "abcdef"), ("9", "2", "abcdefghij"))
    for point in points
}
LAWFUL_BASES: dict[str, tuple[str, tuple[str, ...]]] = dict(_ARTICLES)
# Where a lawful basis is written down, for the codes DPV has no term for.
LEGISLATION = "https://www.legislation.gov.uk/ukpga/"
SOURCES = {
    "sch1_para6": LEGISLATION + "2018/12/schedule/1/paragraph/6",
    "sch1_para10": LEGISLATION + "2018/12/schedule/1/paragraph/10",
    "sch1_para18": LEGISLATION + "2018/12/schedule/1/paragraph/18",
    "ca1989_s17": LEGISLATION + "1989/41/section/17",
    "ca1989_s47": LEGISLATION + "1989/41/section/47",
    "ca2004_s10": LEGISLATION + "2004/31/section/10",
    "ca2004_s11": LEGISLATION + "2004/31/section/11",
    "cda1998_s115": LEGISLATION + "1998/37/section/115",
    "care2014_s42": LEGISLATION + "2014/23/section/42",
    "care2014_s45": LEGISLATION + "2014/23/section/45",
}


def default_version(
    agreement: Agreement, today: date, settings: StatusSettings
) -> AgreementVersion:
    """The version asked for without a number: the one in force, else the latest."""
    shown = standing(agreement, today, settings)
    return agreement.latest if shown.in_force_version is None else shown.shown


def public_version(
    agreement: Agreement, today: date, settings: StatusSettings
) -> AgreementVersion | None:
    """The version whose terms anyone may read: that of a tier-1 or tier-2 agreement the
    public register lists (its version in force, judged as the register judges it), or
    None. A tier-3 agreement's detail stays with signed-in users, as on the register."""
    if agreement.tier == 3:
        return None
    shown = standing(agreement, today, settings)
    return shown.shown if shown.in_force_version is not None else None


def terms_url(agreement_id: int, number: int | None = None) -> str:
    """The path the API serves an agreement's terms at (the version in force, or the
    latest, without `number`)."""
    path = f"/api/v1/agreements/{agreement_id}/terms.jsonld"
    return path if number is None else f"{path}?version={number}"


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _date(value) -> dict[str, str] | None:
    return None if value is None else {"@value": value.isoformat(), "@type": "xsd:date"}


def _concept(
    kind: str, code: str, label: str, types: list[str], mapping: dict[str, tuple[str, tuple]]
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"#{kind}-{code}",
        "@type": types if len(types) > 1 else types[0],
        "skos:notation": code,
        "skos:prefLabel": {"@value": label, "@language": "en-GB"},
    }
    if code in mapping:
        relation, targets = mapping[code]
        node[relation] = [_ref(t) for t in targets]
    return node


def _purposes(version: AgreementVersion, vocabulary: Vocabulary) -> list[dict]:
    return [
        _concept("purpose", c, vocabulary.purposes.get(c, c), ["dpv:Purpose"], PURPOSES)
        for c in version.purposes
    ]


def _categories(version: AgreementVersion, vocabulary: Vocabulary) -> list[dict]:
    nodes = []
    for code in version.data_categories:
        entry = vocabulary.data_categories.get(code)
        types = ["dpv:PersonalData"]
        if entry is not None and entry.special:
            types = ["dpv:SpecialCategoryPersonalData"]  # UK GDPR Article 9
        elif entry is not None and entry.criminal:
            # Article 10 data: DPV has no class of its own for it; sensitive is the nearest.
            types = ["dpv:SensitivePersonalData"]
        label = entry.label if entry is not None else code
        nodes.append(_concept("category", code, label, types, DATA_CATEGORIES))
    return nodes


def _bases(version: AgreementVersion, vocabulary: Vocabulary) -> list[dict]:
    nodes = []
    for code in version.lawful_bases:
        label, _kind = vocabulary.lawful_bases.get(code, (code, None))
        node = _concept("basis", code, label, ["dpv:LegalBasis"], LAWFUL_BASES)
        if code in SOURCES:
            node["dct:source"] = _ref(SOURCES[code])
        nodes.append(node)
    return nodes


def _kind_of(code: str, vocabulary: Vocabulary) -> str | None:
    found = vocabulary.lawful_bases.get(code)
    if found is None:
        return None
    kind = found[1]
    return kind.value if isinstance(kind, LawfulBasisKind) else str(kind)


def _party(party) -> dict[str, Any]:
    agency = party.agency
    types = ["dpv:DataController", "odrl:Party"]
    return {
        "@id": f"#agency-{agency.id}",
        "@type": types,
        "schema:name": agency.name,
        # The ICO's register of fee payers lists each controller by this number.
        "dpv:hasIdentifier": agency.ico_registration,
    }


def _permissions(version: AgreementVersion) -> list[dict[str, Any]]:
    """One ODRL permission for each party that may disclose, to each other party that may
    receive. The action, the data and the conditions are the agreement's own (given once,
    in `@included`)."""
    rules = []
    for giver in version.parties:
        if not giver.may_disclose:
            continue
        for taker in version.parties:
            if taker.agency_id == giver.agency_id or not taker.may_receive:
                continue
            rules.append(
                {
                    "@type": "odrl:Permission",
                    "odrl:assigner": _ref(f"#agency-{giver.agency_id}"),
                    "odrl:assignee": _ref(f"#agency-{taker.agency_id}"),
                    "odrl:action": _ref("odrl:distribute"),
                    "odrl:target": _ref("#shared-data"),
                    "odrl:constraint": [_ref("#for-purposes"), _ref("#in-force")],
                }
            )
    return rules


def _conditions(version: AgreementVersion) -> list[dict[str, Any]]:
    """The data a permission is about, and the constraints every permission carries."""
    in_force: list[dict[str, Any]] = [
        {
            "@type": "odrl:Constraint",
            "odrl:leftOperand": _ref("odrl:dateTime"),
            "odrl:operator": _ref("odrl:gteq"),
            "odrl:rightOperand": _date(version.effective_from),
        }
    ]
    if version.end_date is not None:
        in_force.append(
            {
                "@type": "odrl:Constraint",
                "odrl:leftOperand": _ref("odrl:dateTime"),
                "odrl:operator": _ref("odrl:lteq"),
                "odrl:rightOperand": _date(version.end_date),
            }
        )
    return [
        {
            "@id": "#shared-data",
            "@type": "odrl:AssetCollection",
            "dct:description": "The personal data this agreement covers",
            "dpv:hasPersonalData": [_ref(f"#category-{c}") for c in version.data_categories],
        },
        {
            "@id": "#for-purposes",
            "@type": "odrl:Constraint",
            "odrl:leftOperand": _ref("odrl:purpose"),
            "odrl:operator": _ref("odrl:isAnyOf"),
            "odrl:rightOperand": [_ref(f"#purpose-{c}") for c in version.purposes],
        },
        (
            {"@id": "#in-force", **in_force[0]}
            if len(in_force) == 1
            else {"@id": "#in-force", "@type": "odrl:LogicalConstraint", "odrl:and": in_force}
        ),
    ]


def _registry_view(
    agreement: Agreement, version: AgreementVersion, vocabulary: Vocabulary
) -> dict[str, Any]:
    parent = agreement.parent
    return {
        "reference": agreement.reference,
        "version": version.number,
        "tier": agreement.tier,
        "tier_label": TIER_LABELS[agreement.tier],
        "title": version.title,
        "status": version.status.value,
        "parent": None
        if parent is None
        else {"reference": parent.reference, "terms": terms_url(parent.id)},
        "owner": agreement.owner.name,
        "parties": [
            {
                "agency": p.agency.name,
                "ico_registration": p.agency.ico_registration,
                "role": p.role,
                "may_disclose": p.may_disclose,
                "may_receive": p.may_receive,
            }
            for p in version.parties
        ],
        "purposes": list(version.purposes),
        "data_categories": list(version.data_categories),
        "data_subjects": version.data_subjects,
        "lawful_bases": [
            {"code": c, "kind": _kind_of(c, vocabulary)} for c in version.lawful_bases
        ],
        "effective_from": version.effective_from.isoformat(),
        "review_date": version.review_date.isoformat(),
        "review_period_months": version.review_period_months,
        "end_date": version.end_date.isoformat() if version.end_date else None,
        "content_sha256": version.content_sha256,
        **_recorded(agreement, version),
    }


def _recorded(agreement: Agreement, version: AgreementVersion) -> dict[str, Any]:
    """Issue 19's fields, each only when recorded: a version from before them keeps the
    same bytes. The DPIA's link is left out, as on the public register (it points into a
    partner's own network)."""
    found: dict[str, Any] = {}
    if agreement.tier == 3:
        found.update(
            frequency=version.frequency.value if version.frequency else None,
            frequency_detail=version.frequency_detail,
            transfer_methods=list(version.transfer_methods),
            data_items=list(version.data_items or []),
        )
    if version.controller_relationship:
        found["controller_relationship"] = version.controller_relationship.value
    if version.dpia_reference:
        found["dpia"] = {
            "reference": version.dpia_reference,
            "completed_on": (
                version.dpia_completed_on.isoformat() if version.dpia_completed_on else None
            ),
            "outcome": version.dpia_outcome.value if version.dpia_outcome else None,
        }
    return {k: v for k, v in found.items() if v}


def terms_document(session: Session, agreement: Agreement, version: AgreementVersion) -> dict:
    """The version's terms as a JSON-LD document (see the module's docstring)."""
    vocabulary = vocabularies.load(session)
    parent = agreement.parent
    receivers = [p for p in version.parties if p.may_receive]
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": terms_url(agreement.id, version.number),
        # A tier-1 protocol grants no share by itself (it is the umbrella that agreements
        # under it need): it is described, but carries no ODRL permission.
        "@type": ["dpv:DataProcessingAgreement"]
        + (["odrl:Agreement"] if agreement.tier > 1 else []),
        "dct:identifier": agreement.reference,
        "dct:title": {"@value": version.title, "@language": "en-GB"},
        "schema:version": version.number,
        "dpv:hasApplicableLaw": [_ref("legal-gb:law-GDPR"), _ref("legal-gb:law-DPA")],
        "dpv:hasJurisdiction": _ref("loc:GB"),
        "dpv:hasAuthority": _ref("legal-gb:DPA-GB"),
        "dpv:hasDataController": [_party(p) for p in version.parties],
        "dpv:hasRecipientDataController": [_ref(f"#agency-{p.agency_id}") for p in receivers],
        "dpv:hasProcessing": _ref("dpv:Disclose"),
        "dpv:hasPurpose": _purposes(version, vocabulary),
        "dpv:hasPersonalData": _categories(version, vocabulary),
        "dpv:hasDataSubject": {
            "@type": "dpv:DataSubject",
            "dct:description": version.data_subjects or None,
        },
        "dpv:hasLegalBasis": _bases(version, vocabulary),
        "schema:startDate": _date(version.effective_from),
        "schema:sha256": version.content_sha256,
        "registry": _registry_view(agreement, version, vocabulary),
    }
    if version.end_date is not None:
        document["schema:endDate"] = _date(version.end_date)
    if parent is not None:
        # The agreement cannot be in force unless its parent is (SPEC section 5).
        document["dct:requires"] = {
            "@id": terms_url(parent.id),
            "dct:identifier": parent.reference,
        }
    if agreement.tier > 1:
        document["odrl:uid"] = _ref(terms_url(agreement.id, version.number))
        document["odrl:permission"] = _permissions(version)
        document["@included"] = _conditions(version)
    return document


def terms_bytes(session: Session, agreement: Agreement, version: AgreementVersion) -> bytes:
    """terms_document as UTF-8 JSON, keys sorted and indented: the same version in the
    same state is always the same bytes."""
    text = json.dumps(
        terms_document(session, agreement, version),
        sort_keys=True,
        ensure_ascii=False,
        indent=1,
    )
    return (text + "\n").encode("utf-8")
