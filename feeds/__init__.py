"""Feeds: pull public sources and sample data into typed observations. Never imports textual."""
