import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from consult.extensions import db
from consult.forms import paginate
from consult.mail.models import OutboxMessage, OutboxStatus
from consult.mail.services import outbox_counts, retry
from consult.security import roles_required

bp = Blueprint("mail", __name__, url_prefix="/manage/outbox")

PER_PAGE = 50


@bp.route("/")
@roles_required("admin")
def outbox():
    status = request.args.get("status", "")
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        try:
            query = query.where(OutboxMessage.status == OutboxStatus(status))
        except ValueError:
            abort(404)
    page = paginate(query, PER_PAGE)
    return render_template(
        "outbox/list.html",
        page=page,
        counts=outbox_counts(),
        status=status,
        statuses=list(OutboxStatus),
    )


@bp.route("/<int:message_id>/retry", methods=["POST"])
@roles_required("admin")
def retry_message(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status is not OutboxStatus.FAILED:
        flash(_("Only failed messages can be sent again."), "error")
    else:
        retry(message)
        db.session.commit()
        flash(_("The message to %(email)s is queued again.", email=message.recipient), "success")
    return redirect(url_for("mail.outbox", status=request.args.get("status", "")))
