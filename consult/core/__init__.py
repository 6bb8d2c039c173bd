"""Pieces every page shares: language switching, health check, error pages."""
