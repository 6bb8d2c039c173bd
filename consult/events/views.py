import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from consult.events.models import Series, series_managers
from consult.extensions import db
from consult.groups.models import WorkingGroup, group_managers
from consult.security import public

bp = Blueprint("events", __name__)


@bp.route("/")
@public
def index():
    series = db.session.scalars(
        sa.select(Series).where(Series.published.is_(True)).order_by(Series.created_at.desc())
    ).all()
    groups = db.session.scalars(
        sa.select(WorkingGroup).where(WorkingGroup.public.is_(True)).order_by(WorkingGroup.id)
    ).all()
    return render_template("events/index.html", series=series, groups=groups)


def _visible_to_current_user(model, managers_table):
    """Admins and viewers see everything; organizers what they manage."""
    query = sa.select(model).order_by(model.id)
    if not (current_user.is_admin or current_user.is_viewer):
        query = query.join(managers_table).where(managers_table.c.user_id == current_user.id)
    return db.session.scalars(query).all()


@bp.route("/manage/")
def manage_home():
    return render_template(
        "events/manage_home.html",
        series=_visible_to_current_user(Series, series_managers),
        groups=_visible_to_current_user(WorkingGroup, group_managers),
    )
