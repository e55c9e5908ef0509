from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField
from wtforms.validators import InputRequired

from ..fields import DateField


class DelegationForm(FlaskForm):
    delegate_id = SelectField(
        "Who will sign on your behalf?",
        widget=GovSelect(),
        description="Another user of your agency. They will be able to sign, and decline to "
        "sign, agreements for your agency on your behalf between the dates below",
        validators=[InputRequired("Choose who will sign on your behalf")],
        # The service says why an id is not one of the agency's users (a stale page, a
        # user disabled since): a clearer message than "Not a valid choice".
        validate_choice=False,
    )
    starts_on = DateField(
        "From",
        required_message="Enter the date the delegation starts",
        description="Today or later. For example, 27 3 2027",
    )
    ends_on = DateField(
        "Until",
        required_message="Enter the date the delegation ends",
        description="The last day they may sign for you: at most a year after the start",
    )
    submit = SubmitField("Name this delegate", widget=GovSubmitInput())


class EndForm(FlaskForm):
    submit = SubmitField("End this delegation now", widget=GovSubmitInput())
