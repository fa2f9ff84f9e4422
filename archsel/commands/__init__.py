"""CLI command groups; each module defines `register(app)` and is picked up by archsel.cli."""
