"""Form fields shared by the page forms, rendered with GOV.UK macros."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date
from typing import NamedTuple

from flask import url_for
from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from markupsafe import Markup
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import StopValidation, ValidationError

from ..extensions import db
from ..services.agencies import (
    LOOKUP_LONGEST,
    AgencyMatch,
    agency_names,
    as_id,
    resolve_agency,
)

_PARTS = ("day", "month", "year")


def named(label: str, question: str = "Your answer") -> str:
    """A field's label as the subject of an error message: without "(optional)", and a
    label that is a question ("When will you follow up again?") as `question`."""
    label = label.replace("(optional)", "").strip()
    return question if label.endswith("?") else label


class MaxLength:
    """At most `max` characters, said in the field's own name, or `name` where the label
    is a question (WTForms' Length says "Field cannot be longer than 10000 characters")."""

    def __init__(self, max: int, name: str | None = None, message: str | None = None):
        self.max, self.name, self.message = max, name, message

    def __call__(self, form, field) -> None:
        if field.data and len(field.data) > self.max:
            name = self.name or named(field.label.text)
            raise ValidationError(
                self.message or f"{name} must be {self.max:,} characters or fewer"
            )


_DIGITS = re.compile(r"[0-9]{1,6}")  # more than 4 in a year is named as such, below


def _described(field, error_id_and_hint: list[str], parts: list[Markup]) -> None:
    """The hint and the error message GOV.UK puts above a control, naming their ids."""
    if field.description:
        error_id_and_hint.append(f"{field.id}-hint")
        parts.append(
            Markup('<div id="{}-hint" class="govuk-hint">{}</div>').format(
                field.id, field.description
            )
        )
    if field.errors:
        error_id_and_hint.append(f"{field.id}-error")
        parts.append(
            Markup(
                '<p id="{}-error" class="govuk-error-message"><span '
                'class="govuk-visually-hidden">Error:</span> {}</p>'
            ).format(field.id, field.errors[0])
        )


def _group(field, inner: list[Markup]) -> Markup:
    error = " govuk-form-group--error" if field.errors else ""
    return Markup('<div class="govuk-form-group{}">{}</div>').format(
        error, Markup("\n").join(inner)
    )


class SafeGovDateInput(GovDateInput):
    """GOV.UK date input that renders whatever parts arrived, even none."""

    def map_gov_params(self, field, **kwargs):
        raw = list(field.raw_data or [])
        if field.raw_data is not None:
            field.raw_data = (raw + ["", "", ""])[:3]
        try:
            return super().map_gov_params(field, **kwargs)
        finally:
            if field.raw_data is not None:
                field.raw_data = raw


class DateField(Field):
    """Day, month and year boxes posted under one name (GOV.UK's date pattern).

    Missing or partial parts give a message naming what is missing, never a server error."""

    widget = SafeGovDateInput()

    def __init__(
        self,
        label=None,
        validators=None,
        required: bool = True,
        required_message: str | None = None,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.required_message = required_message
        self._problem: str | None = None

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    def process_formdata(self, valuelist):
        values = [(v or "").strip() for v in valuelist]
        called = named(self.label.text, "The date")
        parts = (values + ["", "", ""])[:3]
        self.raw_data = parts
        self.data = None
        self._problem = None
        if not any(values):
            return
        if len(values) > 3:  # a page of ours sends three: a fourth is not a date we asked
            self._problem = f"{called} must be a day, a month and a year"
            return
        missing = [name for name, value in zip(_PARTS, parts, strict=True) if not value]
        if missing:
            self._problem = f"{called} must include a {' and a '.join(missing)}"
            return
        # ASCII digits only (str.isdigit also takes other scripts' digits), and few enough
        # of them that no number is too large to turn into a date.
        if not all(_DIGITS.fullmatch(p) for p in parts):
            self._problem = f"{called} must be a real date, written in numbers"
            return
        day, month, year = (int(p) for p in parts)
        if not 1000 <= year <= 9999:
            self._problem = f"{called}: the year must have 4 numbers"
            return
        try:
            self.data = date(year, month, day)
        except ValueError:
            self._problem = f"{called} must be a real date"

    def pre_validate(self, form):
        if self._problem:
            raise StopValidation(self._problem)
        if self.data is None and self.required:
            raise StopValidation(self.required_message or f"Enter {self.label.text.lower()}")


def attach_errors(form, fields: dict[str, str], aliases: dict[str, str] | None = None) -> None:
    """Show a service's field errors on the form's fields (or on the form when unmatched)."""
    aliases = aliases or {}
    for name, message in (fields or {"": "That cannot be saved"}).items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


# One agency among tens of thousands (issue 20) --------------------------------------
#
# No page lists every agency. A box takes part of a name, an ICO registration number or an
# ODS code, and a hidden input beside it carries the agency's id. With JavaScript
# (registry.js) the box lists matches from /agencies/lookup as the person types and
# choosing one sets the id; without it the server reads what was typed
# (services/agencies.resolve_agency) and, when that is not exactly one agency, shows the
# form again with an error and the candidates as radios named like the id.

AGENCY_HINT = "Type part of its name, or its ICO registration number or ODS code"
ANY_AGENCY_HINT = "Part of a name, an ICO number or an ODS code; leave empty for any agency"


class AgencyBox(NamedTuple):
    """What one agency box shows and what it comes to."""

    name: str  # the id's parameter; the text's is name + "_text"
    id: int | None = None
    text: str = ""  # what the box says: the agency's name once chosen, else what was typed
    problem: str | None = None
    candidates: tuple[AgencyMatch, ...] = ()
    within: int | None = None  # an agreement whose parties alone are offered


def text_name(name: str) -> str:
    return f"{name}_text"


def read_agency_box(
    source,
    name: str,
    *,
    within: Collection[int] | None = None,
    within_id: int | None = None,
    what: str = "an agency",
) -> AgencyBox:
    """The box `name` as a request sent it (`source`: form or query arguments)."""
    ids = [v for v in source.getlist(name) if v]
    chosen = ids[-1] if ids else None  # a candidate picked wins over the id shown before
    typed = source.get(text_name(name)) if text_name(name) in source else None
    found = resolve_agency(db.session, typed, chosen, within=within, what=what)
    return shown_box(name, found.id, typed, found.problem, found.candidates, within_id)


def shown_box(
    name: str,
    agency_id: int | None,
    typed: str | None = None,
    problem: str | None = None,
    candidates=(),
    within_id: int | None = None,
) -> AgencyBox:
    """The box as a page shows it: the chosen agency's name, or what was typed."""
    text = (typed or "").strip()[:LOOKUP_LONGEST]
    if agency_id is not None and not problem:
        text = agency_names(db.session, [agency_id]).get(agency_id, text)
    return AgencyBox(name, agency_id, text, problem, tuple(candidates), within_id)


def agency_box_html(
    box: AgencyBox,
    label: str,
    *,
    hint: str | None = AGENCY_HINT,
    label_classes: str = "",
    input_classes: str = "",
    error: str | None = None,
) -> Markup:
    """GOV.UK's text input for one agency, its hidden id, and the candidates to choose
    from when what was typed was not exactly one agency. `error` overrides box.problem
    (a form's own message, such as a required field's)."""
    name, problem = box.name, error or box.problem
    described, parts = [], []
    parts.append(
        Markup('<label class="govuk-label {}" for="{}">{}</label>').format(
            label_classes, name, label
        )
    )
    if hint:
        described.append(f"{name}-hint")
        parts.append(Markup('<div id="{}-hint" class="govuk-hint">{}</div>').format(name, hint))
    if problem:
        described.append(f"{name}-error")
        parts.append(
            Markup(
                '<p id="{}-error" class="govuk-error-message"><span '
                'class="govuk-visually-hidden">Error:</span> {}</p>'
            ).format(name, problem)
        )
    lookup = url_for("agencies.lookup_agencies", within=box.within)
    parts.append(
        Markup(
            '<input class="govuk-input {}{}" id="{}" name="{}" type="text" value="{}" '
            'autocomplete="off" spellcheck="false"{}>'
        ).format(
            input_classes,
            " govuk-input--error" if problem else "",
            name,
            text_name(name),
            box.text,
            Markup(' aria-describedby="{}"').format(" ".join(described)) if described else "",
        )
    )
    parts.append(
        Markup('<input type="hidden" name="{}" value="{}" data-registry-agency-id>').format(
            name, "" if box.id is None or box.candidates else box.id
        )
    )
    if box.candidates:
        radios = Markup("").join(
            Markup(
                '<div class="govuk-radios__item"><input class="govuk-radios__input" '
                'id="{0}-pick-{1}" name="{0}" type="radio" value="{2}"><label '
                'class="govuk-label govuk-radios__label" for="{0}-pick-{1}">{3}'
                '<span class="govuk-hint govuk-!-margin-bottom-0"> ICO {4}{5}</span>'
                "</label></div>"
            ).format(
                name,
                n,
                match.id,
                match.name,
                match.ico_registration,
                f", ODS {match.ods_code}" if match.ods_code else "",
            )
            for n, match in enumerate(box.candidates, start=1)
        )
        parts.append(
            Markup(
                '<fieldset class="govuk-fieldset govuk-!-margin-top-3" data-registry-'
                'agency-candidates><legend class="govuk-fieldset__legend govuk-fieldset'
                '__legend--s">Agencies that match</legend><div class="govuk-radios '
                'govuk-radios--small" data-module="govuk-radios">{}</div></fieldset>'
            ).format(radios)
        )
    return Markup(
        '<div class="govuk-form-group{}" data-registry-agency-box data-lookup="{}">{}</div>'
    ).format(" govuk-form-group--error" if problem else "", lookup, Markup("\n").join(parts))


class AgencyInput:
    """The widget of an AgencyField: the box above."""

    def __call__(self, field, **kwargs) -> Markup:
        box = shown_box(
            field.name,
            as_id(field.data),
            field.typed,
            None,
            field.candidates,
            field.within_id,
        )
        return agency_box_html(
            box,
            field.label.text,
            hint=field.description or AGENCY_HINT,
            error=field.errors[0] if field.errors else None,
        )


class AgencyField(Field):
    """One agency, chosen in a box (AgencyBox): its data is the agency's id as text, or
    "". A view may narrow what is offered with `within` (ids) and `within_id` (the
    agreement whose parties they are, for the lookup)."""

    widget = AgencyInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.typed: str | None = None
        self.candidates: tuple = ()
        self.within: Collection[int] | None = None
        self.within_id: int | None = None

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        self.typed = None
        if formdata is not None and text_name(self.name) in formdata:
            self.typed = formdata.get(text_name(self.name))

    def process_formdata(self, valuelist):
        ids = [v for v in valuelist if v]
        self.data = ids[-1] if ids else ""

    def _value(self):
        return self.data or ""

    def pre_validate(self, form):
        if self.typed is None:
            return  # no box was sent (a script's post): the id alone, as before
        found = resolve_agency(db.session, self.typed, self.data, within=self.within)
        self.data = str(found.id) if found.id is not None else ""
        self.raw_data = [self.data]
        if found.problem:
            self.candidates = found.candidates
            raise StopValidation(found.problem)
        if found.id is not None:
            self.typed = None  # shown again (for another field's error) by its own name
