"""Screens pushed over the dashboard (help)."""
