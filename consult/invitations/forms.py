from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from consult.forms import BaseForm


class SendForm(BaseForm):
    """The organizer's confirmation of a batch (the audience travels in hidden fields)."""

    resend = BooleanField(_l("Send again to people who were invited already "
                             "(they keep their personal link)"))


class ReminderForm(BaseForm):
    reminder_days = IntegerField(
        _l("Days before the meeting"), validators=[Optional(), NumberRange(
            min=1, max=60, message=_l("Choose between 1 and 60 days."))])
    remind_unanswered = BooleanField(_l("Also remind invited people who have not answered"))
