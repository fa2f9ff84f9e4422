"""Shipped data: rules/ and profiles/ are mapped here in the wheel (see pyproject.toml)."""
