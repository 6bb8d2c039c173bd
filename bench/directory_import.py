"""Directory import of a 10,000-row stakeholder list against a raw database write.

Floor: the same CSV file read with csv.DictReader and its rows written with one raw
``executemany`` INSERT (or, for the second entry, UPDATE … WHERE email = ?) into a plain
table of the same SQLite database, then committed. Value: what the organizer waits for
between "Import" and the list: ``importer.parse`` + ``importer.preview`` + ``importer.apply``
+ commit. Ratio = importer time ÷ floor time (lower is better), in milliseconds.

Run alone with ``.venv/bin/python -m bench.directory_import``.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import Result, machine

ROWS = 10_000
REPEAT = 3
COLUMNS = ["name", "email", "gender", "organisation", "stakeholder_type", "region", "oblast",
           "municipality", "position", "language"]

FIRST = ["Тодор", "Надежда", "Елена", "Георги", "Мария", "Иван", "Десислава", "Петър",
         "Снежана", "Асен", "Йорданка", "Христо", "Радослава", "Любомир", "Цветелина", "Ангел"]
LAST = ["Христов", "Маринова", "Петрова", "Иванов", "Георгиева", "Димитров", "Стоянова",
        "Николов", "Тодорова", "Василев", "Костадинова", "Ангелов"]
PLACES = [("Видин", "Северозападен"), ("Монтана", "Северозападен"), ("Враца", "Северозападен"),
          ("Плевен", "Северен централен"), ("Ловеч", "Северен централен"),
          ("Русе", "Северен централен"), ("Варна", "Североизточен"),
          ("Шумен", "Североизточен"), ("Бургас", "Югоизточен"), ("Сливен", "Югоизточен"),
          ("Пловдив", "Южен централен"), ("Хасково", "Южен централен"),
          ("София", "Югозападен"), ("Благоевград", "Югозападен"), ("Кюстендил", "Югозападен")]
KINDS = [("Община", "municipality"), ("Областна администрация", "regional_administration"),
         ("Сдружение „Рома“", "civil_society"), ("Читалище", "civil_society"),
         ("Здравни медиатори", "mediator"), ("Регионално управление на образованието",
                                              "national_agency")]
GENDERS = ["мъж", "жена", "Ж", "М", "male", "female", "", "друго"]
POSITIONS = ["главен експерт", "директор", "кмет", "заместник-кмет", "председател",
             "здравен медиатор", "юрист", "старши експерт"]


def generate_csv(rows: int = ROWS, seed: int = 2020, position_suffix: str = "") -> bytes:
    """A Bulgarian stakeholder list as Excel users export it, UTF-8 with a BOM."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n in range(rows):
        town, region = rng.choice(PLACES)
        prefix, kind = rng.choice(KINDS)
        writer.writerow([
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            f"person{n}@stakeholders{n % 97}.example.bg",
            rng.choice(GENDERS),
            f"{prefix} {town}" if kind != "civil_society" else f"{prefix} {town} {n % 40}",
            kind, region, town, town if kind == "municipality" else "",
            rng.choice(POSITIONS) + position_suffix, "bg",
        ])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# the floor's plain table: the CSV columns as text (column names are the constants above)
CREATE_SQL = (f"CREATE TABLE IF NOT EXISTS raw_contacts "
              f"(id INTEGER PRIMARY KEY, {', '.join(c + ' TEXT' for c in COLUMNS)})")
INSERT_SQL = (f"INSERT INTO raw_contacts ({', '.join(COLUMNS)}) "  # noqa: S608
              f"VALUES ({', '.join(':' + c for c in COLUMNS)})")
UPDATE_SQL = "UPDATE raw_contacts SET name = :name, position = :position WHERE email = :email"


def _floor(path: Path, data: bytes, update: bool) -> float:
    """csv.DictReader over the same bytes, one executemany, one commit."""
    connection = sqlite3.connect(path)
    connection.execute(CREATE_SQL)
    connection.execute("CREATE UNIQUE INDEX IF NOT EXISTS raw_email ON raw_contacts (email)")
    connection.commit()
    start = time.perf_counter()
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    connection.executemany(UPDATE_SQL if update else INSERT_SQL, reader)
    connection.commit()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def _import(data: bytes) -> tuple[float, dict]:
    from consult.directory import importer
    from consult.extensions import db

    start = time.perf_counter()
    parsed = importer.parse(data, "stakeholders.csv")
    result = importer.preview(parsed, importer.guess_mapping(parsed.headers), "update", True)
    counts = importer.apply(result)
    db.session.commit()
    elapsed = time.perf_counter() - start
    db.session.remove()
    return elapsed, counts


def run() -> list[Result]:
    from consult import create_app
    from consult.directory.models import ensure_builtin_types
    from consult.extensions import db

    first = generate_csv()
    changed = generate_csv(position_suffix=" (нова длъжност)")
    new_times, new_floors, update_times, update_floors = [], [], [], []
    for _ in range(REPEAT):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
            with app.app_context():
                db.create_all()
                ensure_builtin_types()
                db.session.commit()
                new_floors.append(_floor(path, first, update=False))
                update_floors.append(_floor(path, changed, update=True))
                elapsed, counts = _import(first)
                assert counts == {"new": ROWS, "update": 0}, counts
                new_times.append(elapsed)
                elapsed, counts = _import(changed)
                assert counts == {"new": 0, "update": ROWS}, counts
                update_times.append(elapsed)
                db.engine.dispose()
    value, floor = 1000 * min(new_times), 1000 * min(new_floors)
    update_value, update_floor = 1000 * min(update_times), 1000 * min(update_floors)
    note = f"{ROWS} rows, UTF-8 CSV, fresh SQLite file; best of {REPEAT}"
    return [
        Result(name=f"directory: import {ROWS:,} new contacts vs DictReader + executemany",
               value=value, floor=floor, ratio=value / floor, target=10, better="lower",
               unit="ms", note=note),
        Result(name=f"directory: re-import {ROWS:,} changed contacts vs DictReader + "
                    f"executemany UPDATE",
               value=update_value, floor=update_floor, ratio=update_value / update_floor,
               target=10, better="lower", unit="ms", note=note),
    ]


def main(port_factory=None) -> list[Result]:
    return run()


if __name__ == "__main__":
    print(f"Machine: {machine()}")
    for r in main():
        print(f"{r.name}: {r.value:.0f} vs floor {r.floor:.0f} {r.unit} → ratio {r.ratio:.2f} "
              f"(target ≤ {r.target}) {'ok' if r.ok else 'ABOVE TARGET'}")
