"""`flask` commands: users, the mail worker, the demo data."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from consult.auth.models import User, UserRole
from consult.auth.services import AccountError, create_user
from consult.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
mail_cli = AppGroup("mail", help="Send the mail outbox.")
demo_cli = AppGroup("demo", help="Demo data.")
reminders_cli = AppGroup("reminders", help="Reminders before meetings.")
retention_cli = AppGroup("retention", help="Anonymise personal data after its retention time.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in UserRole]),
    default=UserRole.ORGANIZER.value,
    show_default=True,
)
@click.option("--name", default="", help="Display name.")
@click.password_option(help="Asked for when not given; never echoed.")
def create_user_command(email, role, name, password):
    """Create a user who signs in with EMAIL."""
    try:
        user = create_user(email, password, UserRole(role), name)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}")


@users_cli.command("list")
def list_users_command():
    """List user accounts."""
    for user in db.session.scalars(sa.select(User).order_by(User.email)):
        state = "" if user.active else " (deactivated)"
        click.echo(f"{user.email}\t{user.role.value}\t{user.name}{state}")


@mail_cli.command("work")
@click.option("--once", is_flag=True, help="Send everything due now, then exit.")
@click.option("--poll", type=float, default=None, help="Seconds between looks at the queue.")
def mail_work_command(once, poll):
    """Send pending outbox messages over SMTP."""
    from consult.mail.worker import deliver_pending, work_forever

    if once:
        from consult.mail.models import OutboxStatus
        from consult.mail.services import outbox_counts

        due = outbox_counts()[OutboxStatus.PENDING]
        with click.progressbar(length=due, label="Sending", show_pos=True) as bar:
            stats = deliver_pending(on_progress=lambda batch: bar.update(
                batch.sent + batch.failed + batch.retried))
        click.echo(f"sent {stats.sent}, retried later {stats.retried}, failed {stats.failed}")
        for error in dict.fromkeys(stats.errors):
            click.echo(f"  {error}", err=True)
        return
    work_forever(poll if poll is not None else current_app.config["MAIL_POLL_SECONDS"])


@mail_cli.command("status")
def mail_status_command():
    """Count outbox messages by status."""
    from consult.mail.services import outbox_counts

    for status, count in outbox_counts().items():
        click.echo(f"{status.value}\t{count}")


@demo_cli.command("load")
def demo_load_command():
    """Load the demo users, series and working group (safe to run again)."""
    from consult.demo import DEMO_ORGANIZER, DEMO_PASSWORD, load_demo

    changes = load_demo()
    db.session.commit()
    click.echo(f"Demo loaded: {changes} new records." if changes else "Demo already loaded.")
    click.echo(f"Demo organizer: {DEMO_ORGANIZER} / {DEMO_PASSWORD}")


@reminders_cli.command("send")
def reminders_send_command():
    """Queue the reminders that are due (safe to run as often as you like, e.g. hourly)."""
    from consult.invitations.reminders import send_reminders

    count = send_reminders()
    click.echo(f"queued {count} reminders")


@retention_cli.command("apply")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
def retention_apply_command(dry_run):
    """Anonymise participants of meetings older than RETENTION_MONTHS (reports unchanged)."""
    from consult.registrations.privacy import apply_retention

    counts = apply_retention(dry_run=dry_run)
    if not dry_run:
        db.session.commit()
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"{verb} {counts['registrations']} registrations and "
               f"{counts['invitations']} invitations")


def register_cli(app) -> None:
    from consult.reports.cli import report_cli

    for group in (users_cli, mail_cli, demo_cli, reminders_cli, report_cli,
                  retention_cli):
        app.cli.add_command(group)
