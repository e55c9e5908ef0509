"""JSON Schemas of what the API takes and answers (OpenAPI 3.1 components)."""

from __future__ import annotations

from ...domain.vocab import AgencyKind, EffectiveStatus, OfficerRole, Role, VersionStatus

DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
CODES = {"type": "array", "items": {"type": "string"}}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def listing(name: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total"],
        "properties": {
            "items": {"type": "array", "items": ref(name)},
            "total": {"type": "integer"},
        },
    }


SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string"},
            "password": {"type": "string"},
            "totp": {"type": "string"},
        },
    },
    "Token": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
    "UserInput": {
        "type": "object",
        "properties": {
            "email": {"type": "string"},
            "name": {"type": "string"},
            "job_title": {"type": "string"},
            "password": {"type": "string", "minLength": 12},
            "agency_id": {"type": ["integer", "null"]},
            "roles": {"type": "array", "items": {"enum": [r.value for r in Role]}},
            "active": {"type": "boolean"},
        },
    },
    "User": {
        "type": "object",
        "required": ["id", "email", "name", "job_title", "agency_id", "roles", "active"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "job_title": {"type": "string"},
            "agency_id": {"type": ["integer", "null"]},
            "roles": {"type": "array", "items": {"enum": [r.value for r in Role]}},
            "active": {"type": "boolean"},
        },
    },
    "AgencyInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": [k.value for k in AgencyKind]},
            "ico_registration": {"type": "string", "pattern": "^Z(\\d{7}|[A-Z]\\d{6})$"},
            "ods_code": {"type": ["string", "null"], "pattern": "^[A-Z0-9]{3,6}$"},
            "email": NULLABLE_STRING,
            "phone": NULLABLE_STRING,
            "address": NULLABLE_STRING,
        },
    },
    "Agency": {
        "type": "object",
        "required": [
            "id",
            "name",
            "kind",
            "ico_registration",
            "ods_code",
            "email",
            "phone",
            "address",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"enum": [k.value for k in AgencyKind]},
            "ico_registration": {"type": "string"},
            "ods_code": NULLABLE_STRING,
            "email": NULLABLE_STRING,
            "phone": NULLABLE_STRING,
            "address": NULLABLE_STRING,
        },
    },
    "OfficerInput": {
        "type": "object",
        "properties": {
            "role": {"enum": [r.value for r in OfficerRole]},
            "name": {"type": "string"},
            "job_title": {"type": "string"},
            "email": {"type": "string"},
            "phone": NULLABLE_STRING,
        },
    },
    "Officer": {
        "type": "object",
        "required": [
            "id",
            "agency_id",
            "role",
            "name",
            "job_title",
            "email",
            "phone",
            "started_on",
            "ended_on",
        ],
        "properties": {
            "id": {"type": "integer"},
            "agency_id": {"type": "integer"},
            "role": {"enum": [r.value for r in OfficerRole]},
            "name": {"type": "string"},
            "job_title": {"type": "string"},
            "email": {"type": "string"},
            "phone": NULLABLE_STRING,
            "started_on": DATE,
            "ended_on": NULLABLE_DATE,
        },
    },
    "VocabularyEntry": {
        "type": "object",
        "required": ["code", "label", "active"],
        "properties": {
            "code": {"type": "string"},
            "label": {"type": "string"},
            "active": {"type": "boolean"},
            "special": {"type": "boolean"},
            "criminal": {"type": "boolean"},
            "kind": {"enum": ["art6", "art9", "sch1", "statute"]},
        },
    },
    "Vocabularies": {
        "type": "object",
        "required": ["purposes", "data_categories", "lawful_bases"],
        "properties": {
            k: {"type": "array", "items": ref("VocabularyEntry")}
            for k in ("purposes", "data_categories", "lawful_bases")
        },
    },
    "PartyInput": {
        "type": "object",
        "required": ["agency_id"],
        "properties": {
            "agency_id": {"type": "integer"},
            "may_disclose": {"type": "boolean"},
            "may_receive": {"type": "boolean"},
            "role": {"type": "string"},
        },
    },
    "Party": {
        "type": "object",
        "required": [
            "agency_id",
            "agency_name",
            "may_disclose",
            "may_receive",
            "role",
            "signed",
            "withdrawn_from",
        ],
        "properties": {
            "agency_id": {"type": "integer"},
            "agency_name": {"type": "string"},
            "may_disclose": {"type": "boolean"},
            "may_receive": {"type": "boolean"},
            "role": {"type": "string"},
            "signed": {"type": "boolean"},
            "withdrawn_from": NULLABLE_DATE,
        },
    },
    "AgreementInput": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "tier": {"enum": [1, 2, 3]},
            "parent_id": {"type": ["integer", "null"]},
            "owner_agency_id": {"type": "integer"},
            "purposes": CODES,
            "data_categories": CODES,
            "lawful_bases": CODES,
            "data_subjects": {"type": "string"},
            "retention": {"type": "string"},
            "security": {"type": "string"},
            "effective_from": DATE,
            "review_date": DATE,
            "review_period_months": {"type": "integer", "minimum": 1, "maximum": 60},
            "end_date": NULLABLE_DATE,
            "parties": {"type": "array", "items": ref("PartyInput")},
            "lock_version": {
                "type": "integer",
                "description": "On PATCH: the lock_version you "
                "read; if someone has saved since, the answer is 409",
            },
        },
    },
    "Agreement": {
        "type": "object",
        "required": [
            "id",
            "reference",
            "tier",
            "parent_id",
            "owner_agency_id",
            "version",
            "status",
            "effective_status",
            "in_force_version",
            "title",
            "purposes",
            "data_categories",
            "lawful_bases",
            "effective_from",
            "review_date",
            "review_period_months",
            "end_date",
            "parties",
            "content_sha256",
        ],
        "properties": {
            "id": {"type": "integer"},
            "reference": {"type": "string"},
            "lock_version": {"type": "integer"},
            "tier": {"enum": [1, 2, 3]},
            "parent_id": {"type": ["integer", "null"]},
            "owner_agency_id": {"type": "integer"},
            "version": {"type": "integer"},
            "status": {"enum": [s.value for s in VersionStatus]},
            "effective_status": {"enum": [s.value for s in EffectiveStatus]},
            "in_force_version": {"type": ["integer", "null"]},
            "exceeds_parent": {
                "description": "What this agreement grants beyond its parent as the parent "
                "now stands (the parent was narrowed after it), or null",
                "type": ["string", "null"],
            },
            "children_exceeding": {
                "description": "In one agreement's answer (not in lists): the agreements "
                "directly under it that grant more than its latest version allows",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "reference", "reasons"],
                    "properties": {
                        "id": {"type": "integer"},
                        "reference": {"type": "string"},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
            "title": {"type": "string"},
            "purposes": CODES,
            "data_categories": CODES,
            "lawful_bases": CODES,
            "data_subjects": {"type": "string"},
            "retention": {"type": "string"},
            "security": {"type": "string"},
            "effective_from": DATE,
            "review_date": DATE,
            "review_period_months": {"type": "integer"},
            "end_date": NULLABLE_DATE,
            "content_sha256": NULLABLE_STRING,
            "terminates_on": NULLABLE_DATE,
            "parties": {"type": "array", "items": ref("Party")},
        },
    },
    "Version": {
        "type": "object",
        "required": ["version", "status", "created_at", "content_sha256"],
        "properties": {
            "version": {"type": "integer"},
            "status": {"enum": [s.value for s in VersionStatus]},
            "created_at": DATETIME,
            "content_sha256": NULLABLE_STRING,
        },
    },
    "Signature": {
        "type": "object",
        "required": [
            "agency_id",
            "version",
            "signatory_name",
            "job_title",
            "signed_at",
            "content_sha256",
        ],
        "properties": {
            "agency_id": {"type": "integer"},
            "version": {"type": "integer"},
            "signatory_name": {"type": "string"},
            "job_title": {"type": "string"},
            "signed_at": DATETIME,
            "content_sha256": {"type": "string"},
        },
    },
    "Empty": {"type": "object"},
    "Pdf": {"type": "string", "format": "binary"},
    "DeclineInput": {
        "type": "object",
        "required": ["comment"],
        "properties": {"comment": {"type": "string"}},
    },
    "ReviewInput": {
        "type": "object",
        "required": ["outcome", "notes"],
        "properties": {
            "outcome": {"enum": ["continue", "amend", "terminate"]},
            "notes": {"type": "string"},
        },
    },
    "Review": {
        "type": "object",
        "required": [
            "id",
            "version",
            "outcome",
            "notes",
            "reviewed_on",
            "previous_review_date",
            "new_review_date",
        ],
        "properties": {
            "id": {"type": "integer"},
            "version": {"type": "integer"},
            "outcome": {"enum": ["continue", "amend", "terminate"]},
            "notes": {"type": "string"},
            "reviewed_on": DATE,
            "previous_review_date": DATE,
            "new_review_date": NULLABLE_DATE,
        },
    },
    "WithdrawInput": {
        "type": "object",
        "required": ["agency_id", "effective_on"],
        "properties": {"agency_id": {"type": "integer"}, "effective_on": DATE},
    },
    "Withdrawal": {
        "type": "object",
        "required": ["agency_id", "effective_on"],
        "properties": {"agency_id": {"type": "integer"}, "effective_on": DATE},
    },
    "ReasonInput": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {"type": "string"}},
    },
    "CoverageInput": {
        "type": "object",
        "required": ["from_agency_id", "to_agency_id", "purpose", "data_categories"],
        "properties": {
            "from_agency_id": {"type": "integer"},
            "to_agency_id": {"type": "integer"},
            "purpose": {"type": "string"},
            "data_categories": CODES,
            "on_date": DATE,
        },
    },
    "CoverageAnswer": {
        "type": "object",
        "required": ["check_id", "outcome", "agreement", "chain", "warnings", "reasons", "advice"],
        "properties": {
            "check_id": {"type": "string"},
            "outcome": {
                "enum": ["covered", "covered_with_warnings", "not_covered", "not_required"]
            },
            "agreement": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["id", "reference", "title", "tier", "version"],
                        "properties": {
                            "id": {"type": "integer"},
                            "reference": {"type": "string"},
                            "title": {"type": "string"},
                            "tier": {"enum": [2, 3]},
                            "version": {"type": "integer"},
                        },
                    },
                ]
            },
            "chain": {"type": "array", "items": {"type": "string"}},
            "chain_agreements": {
                "description": "The chain again, from the protocol down, with each "
                "agreement's title (as in force).",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["reference", "title"],
                    "properties": {"reference": {"type": "string"}, "title": {"type": "string"}},
                },
            },
            "warnings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                },
            },
            "reasons": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["agreement_reference", "code", "message"],
                    "properties": {
                        "agreement_reference": NULLABLE_STRING,
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
            "advice": {
                "type": "object",
                "required": ["contacts", "message"],
                "properties": {
                    "message": {"type": "string"},
                    "contacts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["role", "name", "job_title", "email", "agency"],
                            "properties": {
                                k: {"type": "string"}
                                for k in ("role", "name", "job_title", "email", "agency")
                            },
                        },
                    },
                },
            },
        },
    },
    "DecisionInput": {
        "type": "object",
        "required": [
            "from_agency_id",
            "to_agency_id",
            "purpose",
            "data_categories",
            "decision",
            "consent",
            "reasons",
        ],
        "properties": {
            "check_id": {"type": "string"},
            "from_agency_id": {"type": "integer"},
            "to_agency_id": {"type": "integer"},
            "purpose": {"type": "string"},
            "data_categories": CODES,
            "decision": {"enum": ["share", "not_share"]},
            "consent": {"enum": ["given", "refused", "not_sought", "not_applicable"]},
            "consent_reason": {"type": "string"},
            "reasons": {"type": "string"},
            "case_reference": {"type": "string"},
            "key_questions": {"type": "object", "additionalProperties": {"type": "string"}},
            "method": {"type": "string"},
            "expected_action": {"type": "string"},
            "follow_up_on": DATE,
        },
    },
    "Decision": {
        "type": "object",
        "required": [
            "id",
            "sequence",
            "recorded_at",
            "entry_hash",
            "previous_hash",
            "from_agency_id",
            "to_agency_id",
            "purpose",
            "data_categories",
            "decision",
            "consent",
            "reasons",
        ],
        "properties": {
            "id": {"type": "integer"},
            "sequence": {"type": "integer"},
            "recorded_at": DATETIME,
            "recorded_by": {"type": "string"},
            "entry_hash": {"type": "string"},
            "previous_hash": {"type": "string"},
            "check_id": NULLABLE_STRING,
            "from_agency_id": {"type": "integer"},
            "to_agency_id": {"type": "integer"},
            "purpose": {"type": "string"},
            "data_categories": CODES,
            "decision": {"enum": ["share", "not_share"]},
            "consent": {"enum": ["given", "refused", "not_sought", "not_applicable"]},
            "consent_reason": NULLABLE_STRING,
            "reasons": {"type": "string"},
            "case_reference": NULLABLE_STRING,
            "key_questions": {"type": ["object", "null"]},
            "method": NULLABLE_STRING,
            "expected_action": NULLABLE_STRING,
            "follow_up_on": NULLABLE_DATE,
        },
    },
    "DecisionList": listing("Decision"),
    "UserList": listing("User"),
    "AgencyList": listing("Agency"),
    "OfficerList": listing("Officer"),
    "AgreementList": listing("Agreement"),
    "VersionList": listing("Version"),
}
