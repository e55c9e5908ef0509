"""Form fields shared by the page forms, rendered with GOV.UK macros."""

from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation

_PARTS = ("day", "month", "year")


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

    def __init__(self, label=None, validators=None, required: bool = True,
                 required_message: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.required_message = required_message
        self._problem: str | None = None

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""

    def process_formdata(self, valuelist):
        parts = [(v or "").strip() for v in (list(valuelist) + ["", "", ""])[:3]]
        self.raw_data = parts
        self.data = None
        self._problem = None
        if not any(parts):
            return
        missing = [name for name, value in zip(_PARTS, parts, strict=True) if not value]
        if missing:
            self._problem = f"{self.label.text} must include a {' and a '.join(missing)}"
            return
        if not all(p.isdigit() for p in parts):
            self._problem = f"{self.label.text} must be a real date, written in numbers"
            return
        day, month, year = (int(p) for p in parts)
        if not 1000 <= year <= 9999:
            self._problem = f"{self.label.text}: the year must have 4 numbers"
            return
        try:
            self.data = date(year, month, day)
        except ValueError:
            self._problem = f"{self.label.text} must be a real date"

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
