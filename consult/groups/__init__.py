"""Standing working groups, their memberships and documents."""
