"""Latency estimation for hardware archsel is not running on (per-operator roofline plus overhead)."""
