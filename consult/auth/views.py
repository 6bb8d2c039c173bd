import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from consult.auth import services
from consult.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    UserForm,
)
from consult.auth.models import User, UserRole
from consult.extensions import db
from consult.forms import paginate, select_choices
from consult.i18n import current_language, prefer_language
from consult.security import any_role_may_post, limit_posts, public, roles_required, safe_next

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _reset_limit():
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


@bp.route("/account/login", methods=["GET", "POST"])
@public
@limit_posts(_login_limit)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(url_for("events.manage_home")))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The e-mail or the password is not right."))
        else:
            db.session.commit()
            # forms signed in this browser before it signed in are not trusted after: a
            # session planted by someone else would otherwise carry their CSRF key along
            session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(url_for("events.manage_home")))
    # a participant who scanned their own door code lands here: tell them what it is for
    # (not where their page is: the code may be someone else's, photographed at the door)
    door_code = re.fullmatch(r"/manage/checkin/[\w.-]{1,90}", form.next.data or "")
    return render_template("auth/login.html", form=form, door_code=door_code is not None)


@bp.route("/account/logout", methods=["POST"])
@any_role_may_post
def logout():
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("events.index"))


@bp.route("/account/password/forgotten", methods=["GET", "POST"])
@public
@limit_posts(_reset_limit)
def forgot_password():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, current_language())
        db.session.commit()
        flash(
            _(
                "If an account exists for %(email)s, we have sent it a link to choose "
                "a new password. The link works for one hour.",
                email=form.email.data,
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/account/password/reset/<token>", methods=["GET", "POST"])
@public
@limit_posts(_reset_limit)
def reset_password(token):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    prefer_language(user.locale)  # a welcome link opens in the new colleague's language
    form = PasswordResetForm()
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        # the sign-in page goes on in the language this page was in
        return redirect(url_for("auth.login", lang=str(get_locale())))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/", methods=["GET", "POST"])
@any_role_may_post
def account():
    form = AccountForm(obj=current_user)
    form.locale.choices = _language_choices()
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    password_form = ChangePasswordForm(prefix="pw")
    changing_password = "pw-password" in request.form
    if not changing_password and form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data or None
        db.session.commit()
        refresh()  # said in the language just chosen
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    if changing_password and password_form.validate_on_submit():
        if current_user.check_password(password_form.current.data):
            current_user.set_password(password_form.password.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # this browser stays signed in
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.account"))
        password_form.current.errors.append(_("This is not your current password."))
    return render_template("auth/account.html", form=form, password_form=password_form)


# --- user administration (admins only) ---------------------------------------------------

USERS_PER_PAGE = 50


def _language_choices():
    return select_choices(
        [("", _("As the browser asks")), *current_app.config["LANGUAGES"].items()]
    )


@bp.route("/manage/users/")
@roles_required("admin")
def users():
    query = sa.select(User).order_by(User.active.desc(), User.email)
    search = request.args.get("q", "").strip()
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(User.email).like(pattern), sa.func.lower(User.name).like(pattern))
        )
    page = paginate(query, USERS_PER_PAGE)
    return render_template("auth/users.html", page=page, search=search)


@bp.route("/manage/users/new", methods=["GET", "POST"])
@roles_required("admin")
def create_user():
    form = UserForm()
    form.locale.choices = _language_choices()
    del form.active
    if form.validate_on_submit():
        try:
            user = services.invite_user(
                form.email.data,
                form.name.data,
                UserRole(form.role.data),
                form.locale.data,
                invited_by=current_user,
            )
        except services.AccountError:
            form.email.errors.append(_("A user with this e-mail already exists."))
        else:
            db.session.commit()
            flash(
                _("%(email)s can now sign in: we sent them a link to choose a password.",
                  email=user.email),
                "success",
            )
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/manage/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    form.locale.choices = _language_choices()
    if request.method == "GET":
        form.role.data = user.role.value
        form.locale.data = user.locale or ""
    if form.validate_on_submit():
        email_owner = services.find_user(form.email.data)
        losing_admin = UserRole(form.role.data) is not UserRole.ADMIN or not form.active.data
        if email_owner is not None and email_owner.id != user.id:
            form.email.errors.append(_("A user with this e-mail already exists."))
        elif losing_admin and services.is_last_active_admin(user):
            form.role.errors.append(
                _("This is the last administrator who can sign in. Make someone else an "
                  "administrator first.")
            )
        else:
            user.email = User.normalize_email(form.email.data)
            user.name = form.name.data
            user.role = UserRole(form.role.data)
            user.locale = form.locale.data or None
            user.active = form.active.data
            db.session.commit()
            flash(_("The account of %(email)s is saved.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)
