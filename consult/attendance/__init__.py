"""Attendance: check-in at the door, walk-ins, bulk marking, counts without personal records,
sign-in sheets and certificates."""
