from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Optional

from ...domain.vocab import ROLE_LABELS
from ..fields import AgencyField, MaxLength, choices


class UserForm(FlaskForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the user's name"), MaxLength(200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the user's email address")],
    )
    job_title = StringField(
        "Job title",
        widget=GovTextInput(),
        validators=[Optional()],
        description="Shown on the agreements a signatory signs",
    )
    agency_id = AgencyField(
        "Agency",
        validators=[Optional()],
        description="Type part of its name, or its ICO registration number or ODS code. "
        "Leave empty only for the administrator",
    )
    roles = SelectMultipleField(
        "Roles",
        widget=GovCheckboxesInput(),
        choices=choices(ROLE_LABELS.items()),
        validators=[InputRequired("Choose at least one role")],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Leave empty to keep the "
        "current password when editing.",
        validators=[Optional()],
    )
    active = BooleanField(
        "Account is active (the user can sign in)", widget=GovCheckboxInput(), default=True
    )
    submit = SubmitField("Save user", widget=GovSubmitInput())


class VocabularyForm(FlaskForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        description="Lower-case letters, digits and underscores; it never changes once used",
        validators=[InputRequired("Enter a code")],
    )
    label = StringField(
        "Label", widget=GovTextInput(), validators=[InputRequired("Enter a label"), MaxLength(300)]
    )
    flag = RadioField("Kind", widget=GovRadioInput(), validators=[Optional()], choices=[])
    active = BooleanField("Offer it on new agreements", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save", widget=GovSubmitInput())
