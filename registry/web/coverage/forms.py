from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovSubmitInput
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, Optional

from ..fields import AgencyField, DateField


class CoverageForm(FlaskForm):
    # Only the administrator chooses; everyone else shares from their own agency.
    from_agency_id = AgencyField("Sharing from", validators=[Optional()])
    to_agency_id = AgencyField(
        "Who do you want to share with?",
        validators=[InputRequired("Choose who you want to share with")],
    )
    purpose = SelectField(
        "What is the share for?",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Choose what the share is for")],
    )
    data_categories = SelectMultipleField(
        "What kinds of information?",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
        description="Tick every kind you would share",
        validators=[InputRequired("Choose at least one kind of information")],
    )
    on_date = DateField(
        "On which date? (optional)", required=False, description="Leave blank for today"
    )
    submit = SubmitField("Check", widget=GovSubmitInput())
