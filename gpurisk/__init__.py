"""gpurisk: CLI, configuration and glue between feeds, engine and the dashboard."""
