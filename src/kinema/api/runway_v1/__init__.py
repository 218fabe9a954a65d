"""runway_v1."""
