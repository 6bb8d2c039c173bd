from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from consult.auth import services
from consult.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
)
from consult.extensions import db, limiter
from consult.i18n import current_language
from consult.security import any_role_may_post, public, safe_next

bp = Blueprint("auth", __name__, url_prefix="/account")


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _reset_limit():
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
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
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(url_for("events.manage_home")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@any_role_may_post
def logout():
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("events.index"))


@bp.route("/password/forgotten", methods=["GET", "POST"])
@public
@limiter.limit(_reset_limit, methods=["POST"])
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


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = PasswordResetForm()
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/", methods=["GET", "POST"])
@any_role_may_post
def account():
    form = AccountForm(obj=current_user)
    form.locale.choices = [("", _("As the browser asks"))] + list(
        current_app.config["LANGUAGES"].items()
    )
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    password_form = ChangePasswordForm(prefix="pw")
    changing_password = "pw-password" in request.form
    if not changing_password and form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    if changing_password and password_form.validate_on_submit():
        if current_user.check_password(password_form.current.data):
            current_user.set_password(password_form.password.data)
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.account"))
        password_form.current.errors.append(_("This is not your current password."))
    return render_template("auth/account.html", form=form, password_form=password_form)
