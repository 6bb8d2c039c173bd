"""The reports are GROUP BY queries: their number of SQL statements does not grow with the
number of meetings (nor of people)."""

from __future__ import annotations

from consult.reports import queries
from consult.reports.queries import ReportFilters
from tests.factories import make_series
from tests.invitations.bench_support import count_statements
from tests.reports.fixture import add_meetings


def statements_for(n: int) -> int:
    series = make_series()
    add_meetings(series, n)
    filters = ReportFilters(series_id=series.id)
    result = {}

    def run():
        result["board"] = queries.dashboard(filters)

    count = count_statements(run)
    board = result["board"]
    # the numbers are right too: one attendee and one counted without registration each
    assert board.funnel.meetings == n
    assert board.by_gender.recorded["female"] == n and board.by_gender.aggregate["male"] == n
    assert board.people.people == n
    return count


def test_dashboard_statements_do_not_grow_with_meetings(app, db):
    ten = statements_for(10)
    hundred = statements_for(100)
    assert ten == hundred
    assert ten < 40


def test_every_meeting_in_four_statements(app, db):
    series = make_series()
    add_meetings(series, 60)
    types = queries.stakeholder_types()
    meetings = list(db.session.scalars(queries.meetings_query(ReportFilters())))
    rows = []
    count = count_statements(lambda: rows.extend(queries.meeting_rows(meetings, types)))
    assert count == 4 and len(rows) == 60
    assert all(row.total == 2 for row in rows)
