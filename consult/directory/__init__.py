"""The stakeholder directory: organisations, contacts, stakeholder types, import and export."""
