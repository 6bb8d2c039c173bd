"""Consultation series, meetings, agendas, materials, public pages and calendars."""
