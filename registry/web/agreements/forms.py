from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from ...domain.agreements import MAX_DATA_ITEM_LENGTH, MAX_DATA_ITEMS
from ...domain.vocab import (
    CONTROLLER_RELATIONSHIP_HINTS,
    CONTROLLER_RELATIONSHIP_LABELS,
    DPIA_OUTCOME_LABELS,
    FREQUENCY_LABELS,
)
from ..fields import AgencyField, DateField, MaxLength, choices


class StartForm(FlaskForm):
    """Step one: the tier, the parent and (for the administrator) the owner."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    tier = RadioField(
        "Which tier is this agreement?",
        widget=GovRadioInput(),
        choices=choices(
            [
                ("1", "Tier 1: an overarching protocol for the partnership"),
                ("2", "Tier 2: an agreement for one purpose, like MASH or MARAC"),
                ("3", "Tier 3: one operational flow between named agencies"),
            ]
        ),
        validators=[InputRequired("Choose the tier")],
    )
    parent_id = SelectField(
        "Which agreement does it sit under?",
        widget=GovSelect(),
        description="Tier 2 agreements sit under a tier 1 protocol; "
        "tier 3 agreements under a tier 2 agreement",
        validators=[Optional()],
        choices=[],
        validate_choice=False,
    )
    owner_agency_id = AgencyField("Which agency owns it?", validators=[Optional()])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AgreementForm(FlaskForm):
    # The agreement's lock_version when the form was opened: a save over someone else's
    # later save is refused (services/agreements.update_draft).
    lock_version = HiddenField()
    title = StringField(
        "Title", widget=GovTextInput(), validators=[InputRequired("Enter a title"), MaxLength(200)]
    )
    # The parties, as ticks in a table of the parties alone (agreements/form.html); `party`
    # is the box that adds one (views._adding_a_party), never the whole list of agencies.
    disclosers = SelectMultipleField(
        "Agencies that may disclose", choices=[], validate_choice=False
    )
    receivers = SelectMultipleField("Agencies that may receive", choices=[], validate_choice=False)
    party = AgencyField(
        "Add a party",
        validators=[Optional()],
        description="Type part of its name, or its ICO registration number or ODS code, "
        "and choose it",
    )
    purposes = SelectMultipleField(
        "Purposes", widget=GovCheckboxesInput(), choices=[], validate_choice=False
    )
    data_categories = SelectMultipleField(
        "Data categories", widget=GovCheckboxesInput(), choices=[], validate_choice=False
    )
    lawful_bases = SelectMultipleField(
        "Lawful bases",
        widget=GovCheckboxesInput(),
        choices=[],
        validate_choice=False,
        description="At least one Article 6 basis; an Article 9 condition for special category "
        "data; a Schedule 1 condition for criminal offence data",
    )
    data_subjects = TextAreaField(
        "Whose information (data subjects)",
        widget=GovTextArea(),
        validators=[Optional(), MaxLength(5000)],
    )
    retention = TextAreaField(
        "How long information is kept",
        widget=GovTextArea(),
        validators=[Optional(), MaxLength(5000)],
    )
    security = TextAreaField(
        "How information is kept and sent securely",
        widget=GovTextArea(),
        validators=[Optional(), MaxLength(5000)],
    )
    effective_from = DateField(
        "Date it takes effect",
        description="For example, 1 4 2027",
        required_message="Enter the date the agreement takes effect",
    )
    review_period_months = IntegerField(
        "Review period in months",
        widget=GovTextInput(),
        default=12,
        validators=[
            InputRequired("Enter the review period in months"),
            NumberRange(1, 60, "Review period must be between 1 and 60 months"),
        ],
    )
    review_date = DateField(
        "Review date (optional)",
        required=False,
        description="Leave blank for the review period after the date it takes effect",
    )
    end_date = DateField(
        "End date (optional)",
        required=False,
        description="Only if the agreement stops on a known date",
    )
    # Tier 3 only: how often, how and exactly what is shared (issue 19).
    frequency = RadioField(
        "How often is information shared?",
        widget=GovRadioInput(),
        choices=choices([(k.value, v) for k, v in FREQUENCY_LABELS.items()]),
        validators=[Optional()],
        validate_choice=False,
    )
    frequency_detail = StringField(
        "More about how often (optional)",
        widget=GovTextInput(),
        description="For example, within 24 hours of each domestic abuse incident",
        validators=[Optional(), MaxLength(200)],
    )
    transfer_methods = SelectMultipleField(
        "How is information sent?",
        widget=GovCheckboxesInput(),
        description="Tick every way the parties send it",
        choices=[],
        validate_choice=False,
    )
    data_items = TextAreaField(
        "Named data items",
        widget=GovTextArea(),
        description="One item a line, for example: name, date of birth, address, "
        f"nature of the incident. At most {MAX_DATA_ITEMS} items of "
        f"{MAX_DATA_ITEM_LENGTH} characters each",
        validators=[Optional(), MaxLength(MAX_DATA_ITEMS * (MAX_DATA_ITEM_LENGTH + 2))],
    )
    # Any tier: the controller relationship and the DPIA (issue 19).
    controller_relationship = RadioField(
        "How do the parties control the information?",
        widget=GovRadioInput(),
        choices=choices([(k.value, v) for k, v in CONTROLLER_RELATIONSHIP_LABELS.items()]),
        description=". ".join(
            f"{CONTROLLER_RELATIONSHIP_LABELS[k]}: {hint[0].lower()}{hint[1:]}"
            for k, hint in CONTROLLER_RELATIONSHIP_HINTS.items()
        ),
        validators=[Optional()],
        validate_choice=False,
    )
    dpia_reference = StringField(
        "DPIA reference",
        widget=GovTextInput(),
        description="The reference of the data protection impact assessment in your "
        "agency's records. Leave the DPIA questions blank if none was done",
        validators=[Optional(), MaxLength(100)],
    )
    dpia_completed_on = DateField(
        "Date the DPIA was completed",
        required=False,
        description="For example, 14 2 2027",
    )
    dpia_outcome = RadioField(
        "What did the DPIA conclude?",
        widget=GovRadioInput(),
        choices=choices([(k.value, v) for k, v in DPIA_OUTCOME_LABELS.items()]),
        validators=[Optional()],
        validate_choice=False,
    )
    dpia_link = StringField(
        "Link to the DPIA (optional)",
        widget=GovTextInput(),
        description="A web address starting https:// (or http:// on an intranet), for "
        "partners who can open it",
        validators=[Optional(), MaxLength(500)],
    )
    submit = SubmitField("Save draft", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class FreshProof:
    """Fresh proof of identity on the sign and decline pages: the current two-factor code,
    or the password of a user with no two-factor sign-in. The view keeps the one the user
    gives (`keep_proof`); the services check it (services/signing.check_fresh_proof)."""

    code = StringField(
        "Your two-factor code",
        widget=GovTextInput(),
        # What to give, and why the sign-in code will not do, is said above the field
        # (templates/agreements/_fresh_proof.html).
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": False},
        # Its presence is asked with the form's other fields, so a page missing several
        # answers says so at once; whether it is right is the service's to say.
        validators=[
            InputRequired("Enter the 6-digit code from your authenticator app"),
            MaxLength(20),
        ],
    )
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "current-password"},
        validators=[InputRequired("Enter your password"), MaxLength(1024)],
    )

    def keep_proof(self, two_factor: bool) -> None:
        """Keep only the field this user answers: the code, or the password."""
        del self[("password" if two_factor else "code")]  # type: ignore[attr-defined]


class SignForm(FreshProof, FlaskForm):
    declaration = BooleanField(
        "I am authorised to sign for my agency and I agree to the content shown above",
        widget=GovCheckboxInput(),
        validators=[InputRequired("Confirm that you are authorised and agree to the content")],
    )
    submit = SubmitField("Sign this agreement", widget=GovSubmitInput())


class DeclineForm(FreshProof, FlaskForm):
    comment = TextAreaField(
        "Why are you declining to sign?",
        widget=GovCharacterCount(),
        description="The information governance lead who owns the agreement will see this",
        validators=[
            InputRequired("Say why you are declining to sign"),
            MaxLength(2000, "Your reason"),
        ],
    )
    submit = SubmitField("Decline to sign", widget=GovSubmitInput())


class ReviewForm(FlaskForm):
    outcome = RadioField(
        "What is the outcome of the review?",
        widget=GovRadioInput(),
        choices=choices(
            [
                ("continue", "Continue: the agreement stays as it is and the review date moves on"),
                ("amend", "Amend: open a new version to change it"),
                ("terminate", "Terminate: the agreement ends"),
            ]
        ),
        validators=[InputRequired("Choose the outcome of the review")],
    )
    notes = TextAreaField(
        "What did the review find?",
        widget=GovTextArea(),
        validators=[
            InputRequired("Say what the review found"),
            MaxLength(5000, "What the review found"),
        ],
    )
    submit = SubmitField("Record review", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    effective_on = DateField(
        "From which date does your agency withdraw?",
        required_message="Enter the date your agency withdraws from",
        description="Today or later. From that date the agreement no longer covers your agency. "
        "A date after today leaves time to cancel the notice.",
    )
    reason = TextAreaField(
        "Why is your agency withdrawing?",
        widget=GovCharacterCount(),
        description="Every party's information governance lead will see this, and it is "
        "printed on the agreement's PDF",
        validators=[
            InputRequired("Give the reason for withdrawing"),
            MaxLength(2000, "Your reason"),
        ],
    )
    submit = SubmitField("Give notice of withdrawal", widget=GovSubmitInput())


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        validators=[InputRequired("Give the reason"), MaxLength(2000, "Your reason")],
    )
    submit = SubmitField("Confirm", widget=GovSubmitInput())
