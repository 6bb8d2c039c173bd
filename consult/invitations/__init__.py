"""Invitations: audiences from the directory, batches written with their mail, personal links."""
