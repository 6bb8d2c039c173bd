"""Participation reports by gender and stakeholder type, funder reports, and the public
transparency record of a working group."""
