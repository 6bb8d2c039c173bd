"""Registrations: the public form, seats and the waiting list, personal manage links."""
