"""Demo data drawn from real consultation scenarios (people are fictitious).

`load_demo` only adds what is missing, keyed by e-mail and slug, so running it again
changes nothing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from consult.auth.models import User, UserRole
from consult.events.models import Series
from consult.extensions import db
from consult.groups.models import WorkingGroup

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "consult-demo-2020"  # noqa: S105 - printed by `make run`, demo data only
DEMO_ADMIN = "admin@demo.consult.example"
DEMO_ORGANIZER = "organizer@demo.consult.example"
DEMO_USERS = [
    (DEMO_ADMIN, "Администратор", UserRole.ADMIN, "en"),
    (DEMO_ORGANIZER, "Мария Георгиева", UserRole.ORGANIZER, "bg"),
    ("skopje@demo.consult.example", "Елена Стојановска", UserRole.ORGANIZER, "mk"),
    ("viewer@demo.consult.example", "Journalist Viewer", UserRole.VIEWER, "en"),
]


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _ensure_user(email, name, role, locale) -> tuple[User, bool]:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, name=name, role=role, locale=locale)
    user.set_password(DEMO_PASSWORD)
    db.session.add(user)
    return user, True


def load_demo() -> int:
    """Add the demo records that are missing; returns how many were added."""
    added = 0
    users = {}
    for email, name, role, locale in DEMO_USERS:
        users[email], new = _ensure_user(email, name, role, locale)
        added += new

    team2 = _load("team2-2020.json")["series"]
    if db.session.scalar(sa.select(Series).where(Series.slug == "team2-2020")) is None:
        db.session.add(
            Series(
                slug="team2-2020",
                main_language="bg",
                title=team2["title"],
                description={"en": "\n".join(team2["purpose"])},
                project_code=team2["code"],
                project_name=team2["project"],
                funder=team2["funder"],
                programme=team2["programme"],
                implementing_body=team2["implementing_body"],
                disclaimer={
                    "bg": "Съдържанието на тази страница е отговорност единствено на "
                    "изпълняващата организация и по никакъв начин не отразява "
                    "официалната позиция на Европейската комисия.",
                    "en": "The content of this page is the sole responsibility of the "
                    "implementing body and does not reflect the official position of the "
                    "European Commission.",
                },
                timezone=team2["timezone"],
                published=True,
                managers=[users[DEMO_ORGANIZER]],
            )
        )
        added += 1

    swg = _load("mk-roma-swg.json")["group"]
    if db.session.scalar(sa.select(WorkingGroup).where(WorkingGroup.slug == "mk-roma-swg")) is None:
        db.session.add(
            WorkingGroup(
                slug="mk-roma-swg",
                main_language="mk",
                name=swg["name"],
                mandate={"en": swg["purpose"]},
                established_on=date(2019, 12, 6),
                timezone=swg["timezone"],
                public=True,
                managers=[users["skopje@demo.consult.example"]],
            )
        )
        added += 1
    return added
