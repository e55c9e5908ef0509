from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from ...domain.decisions import (
    CONSENT_LABELS,
    DECISION_LABELS,
    INFORMATION_LABELS,
    KEY_QUESTIONS,
)
from ..fields import AgencyField, DateField, MaxLength, choices

ANSWER_CHOICES = choices(
    [("yes", "Yes"), ("no", "No"), ("not_sure", "Not sure"), ("not_applicable", "Not applicable")]
)
METHOD_CHOICES = choices(
    [
        ("", "Not shared, or not yet"),
        ("secure_email", "Secure email"),
        ("phone", "Telephone"),
        ("in_person", "In person"),
        ("meeting", "Meeting, such as a strategy discussion"),
        ("case_system", "Shared case system"),
        ("letter", "Letter"),
        ("other", "Other"),
    ]
)


class DecisionForm(FlaskForm):
    to_agency_id = AgencyField(
        "Sharing with", validators=[InputRequired("Choose who the share is with")]
    )
    purpose = SelectField(
        "Purpose",
        widget=GovSelect(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Choose the purpose")],
    )
    data_categories = SelectMultipleField(
        "Kinds of information",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Choose at least one kind of information")],
    )
    decision = RadioField(
        "What did you decide?",
        widget=GovRadioInput(),
        choices=choices(DECISION_LABELS.items()),
        validators=[InputRequired("Choose whether you decided to share")],
    )
    consent = RadioField(
        "Consent",
        widget=GovRadioInput(),
        choices=choices(CONSENT_LABELS.items()),
        validators=[InputRequired("Say what happened about consent")],
    )
    consent_reason = TextAreaField(
        "If you are sharing without consent, why?",
        widget=GovTextArea(),
        description="For example: asking would put the child at greater risk",
        validators=[Optional(), MaxLength(5000, "The reason for sharing without consent")],
    )
    reasons = TextAreaField(
        "Your reasons",
        widget=GovTextArea(),
        description="What you weighed up. Do not write the names of the "
        "child or family: use your case reference below.",
        validators=[InputRequired("Record the reasons for your decision"), MaxLength(10000)],
    )
    case_reference = StringField(
        "Case reference (optional)",
        widget=GovTextInput(),
        description="The reference from your own case system, like CS-104233. No names.",
        validators=[Optional(), MaxLength(40)],
    )
    method = SelectField(
        "How was it shared? (optional)",
        widget=GovSelect(),
        choices=METHOD_CHOICES,
        validate_choice=False,
        validators=[Optional()],
    )
    expected_action = TextAreaField(
        "What should the receiver do with it? (optional)",
        widget=GovTextArea(),
        validators=[Optional(), MaxLength(5000)],
    )
    follow_up_on = DateField("When will you follow up? (optional)", required=False)
    submit = SubmitField("Record decision", widget=GovSubmitInput())


# One radio group per key question, added to the form class so each is a real field.
for _key, _question in KEY_QUESTIONS.items():
    setattr(
        DecisionForm,
        f"q_{_key}",
        RadioField(
            _question, widget=GovRadioInput(), choices=ANSWER_CHOICES, validators=[Optional()]
        ),
    )


YES_NO = choices([("yes", "Yes"), ("no", "No")])


class FollowUpForm(FlaskForm):
    """What happened after a decision. Only formats are checked here; the rules are the
    service's, so every error shows at once."""

    consent_withdrawn = RadioField(
        "Has consent been withdrawn?",
        widget=GovRadioInput(),
        choices=YES_NO,
        validate_choice=False,
        validators=[Optional()],
    )
    share_stopped = RadioField(
        "Has the sharing stopped?",
        widget=GovRadioInput(),
        choices=YES_NO,
        validate_choice=False,
        validators=[Optional()],
    )
    information = RadioField(
        "What happened to the information already shared?",
        widget=GovRadioInput(),
        choices=choices(INFORMATION_LABELS.items()),
        validate_choice=False,
        validators=[Optional()],
    )
    outcome = TextAreaField(
        "What happened when you followed up?",
        widget=GovTextArea(),
        description="For example, who you spoke to and what they confirmed. Do not write "
        "the names of the child or family.",
        validators=[Optional(), MaxLength(10000, "What happened")],
    )
    next_follow_up_on = DateField(
        "When will you follow up again? (optional)",
        required=False,
    )
    submit = SubmitField("Add follow-up", widget=GovSubmitInput())
