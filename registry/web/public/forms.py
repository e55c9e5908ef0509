from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField


class VerifyForm(FlaskForm):
    pdf = FileField(
        "Agreement PDF",
        widget=GovFileInput(),
        description="The PDF you were given or downloaded; it is checked and not kept",
        validators=[FileRequired("Choose the PDF to check")],
    )
    submit = SubmitField("Check the seal", widget=GovSubmitInput())
