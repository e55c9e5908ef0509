"""Form fields shared by the page forms, rendered with GOV.UK macros."""

from __future__ import annotations

import re
from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import html_params

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


class ListOfAgencies:
    """GOV.UK's select, for thousands of agencies: the same markup as govuk-frontend's
    macro, written here, as the macro takes about 40 microseconds an option (a fifth of a
    second for 5,000). Marked so that registry.js turns it into a box to type part of a
    name in (the list stays, hidden, as what the form sends, and without JavaScript)."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.pop("params", None)
        kwargs["data-registry-autocomplete"] = "agency"
        described: list[str] = []
        parts = [
            Markup('<label class="govuk-label" for="{}">{}</label>').format(
                field.id, field.label.text
            )
        ]
        _described(field, described, parts)
        attributes = {k: v for k, v in kwargs.items() if k != "id" and v is not False}
        if described:
            attributes["aria-describedby"] = " ".join(described)
        # f-strings over escaped parts: Markup.format costs 30 microseconds an option.
        options = Markup(
            "".join(
                f'<option value="{escape(value)}"{" selected" if selected else ""}>'
                f"{escape(label)}</option>"
                for value, label, selected, *_ in field.iter_choices()
            )
        )
        extra = Markup(" " + html_params(**attributes)) if attributes else ""
        parts.append(
            Markup('<select class="govuk-select{}" id="{}" name="{}"{}>{}</select>').format(
                " govuk-select--error" if field.errors else "", field.id, field.name, extra, options
            )
        )
        return _group(field, parts)


class TicksOfAgencies:
    """GOV.UK's checkboxes, for thousands of agencies (an agreement's parties): the same
    markup as govuk-frontend's macro, written here for the same reason as ListOfAgencies
    (ten thousand ticks took over a second through the macro)."""

    def __call__(self, field, **kwargs) -> Markup:
        classes = (kwargs.get("params") or {}).get("classes", "")
        described: list[str] = []
        parts: list[Markup] = [
            Markup('<legend class="govuk-fieldset__legend">{}</legend>').format(field.label.text)
        ]
        _described(field, described, parts)
        chosen = {str(v) for v in (field.data or [])}
        name, items = escape(field.name), []
        for n, (value, label, *_) in enumerate(field.iter_choices(), start=1):
            item = escape(field.id if n == 1 else f"{field.id}-{n}")  # as GOV.UK numbers them
            ticked = " checked" if str(value) in chosen else ""
            items.append(
                f'<div class="govuk-checkboxes__item"><input class="govuk-checkboxes'
                f'__input" id="{item}" name="{name}" type="checkbox" '
                f'value="{escape(value)}"{ticked}><label class="govuk-label '
                f'govuk-checkboxes__label" for="{item}">{escape(label)}</label></div>'
            )
        parts.append(
            Markup(
                '<div class="govuk-checkboxes {}" data-module="govuk-checkboxes">{}</div>'
            ).format(classes, Markup("".join(items)))
        )
        fieldset = Markup('<fieldset class="govuk-fieldset"{}>{}</fieldset>').format(
            Markup(' aria-describedby="{}"').format(" ".join(described)) if described else "",
            Markup("\n").join(parts),
        )
        return _group(field, [fieldset])


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
