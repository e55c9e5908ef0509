from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ...domain.vocab import AGENCY_KIND_LABELS, OFFICER_ROLE_LABELS
from ..fields import DateField, MaxLength, choices

KIND_CHOICES = choices((k.value, label) for k, label in AGENCY_KIND_LABELS.items())


class AgencyForm(FlaskForm):
    name = StringField(
        "Agency name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the agency's name"), MaxLength(200)],
    )
    kind = RadioField(
        "Kind of agency",
        choices=KIND_CHOICES,
        widget=GovRadioInput(),
        validators=[InputRequired("Choose the kind of agency")],
    )
    ico_registration = StringField(
        "ICO registration number",
        widget=GovTextInput(),
        description="From the ICO's register of fee payers, like Z1234567 or ZA123456",
        validators=[InputRequired("Enter the ICO registration number")],
    )
    ods_code = StringField(
        "ODS code (optional)",
        widget=GovTextInput(),
        description="NHS organisation code, for health agencies",
        validators=[Optional()],
    )
    email = StringField(
        "Contact email address (optional)", widget=GovTextInput(), validators=[Optional()]
    )
    phone = StringField("Telephone (optional)", widget=GovTextInput(), validators=[Optional()])
    address = TextAreaField("Address (optional)", widget=GovTextArea(), validators=[Optional()])
    submit = SubmitField("Save agency", widget=GovSubmitInput())


class OfficerForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=choices(
            [("", "Choose a role")] + [(r.value, label) for r, label in OFFICER_ROLE_LABELS.items()]
        ),
        widget=GovSelect(),
        validators=[InputRequired("Choose the officer's role")],
    )
    name = StringField(
        "Full name", widget=GovTextInput(), validators=[InputRequired("Enter the officer's name")]
    )
    job_title = StringField(
        "Job title",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the officer's job title")],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the officer's email address")],
    )
    phone = StringField("Telephone (optional)", widget=GovTextInput(), validators=[Optional()])
    started_on = DateField(
        "Start date",
        required=False,
        description="The first day they hold the role, for example 1 4 2026. Leave it blank "
        "for today",
    )
    ended_on = DateField(
        "Leaving date",
        required=False,
        description="The first day they no longer hold the role. Leave it blank if they "
        "are still in post",
    )
    submit = SubmitField("Save officer", widget=GovSubmitInput())


class ReplaceHolderForm(FlaskForm):
    """The second step of adding a holder of a one-holder role while one holds it."""

    replaces = RadioField(
        "Do they leave on that date?",
        choices=choices([("yes", "Yes"), ("no", "No")]),
        widget=GovRadioInput(),
        validators=[InputRequired("Choose yes if they leave on that date, or no")],
    )


class EndOfficerForm(FlaskForm):
    ended_on = DateField(
        "Leaving date",
        required_message="Enter the date they leave the role",
        description="The first day they no longer hold the role (their successor's start "
        "date). For example, 30 9 2026",
    )
    submit = SubmitField("Mark as left", widget=GovSubmitInput())
