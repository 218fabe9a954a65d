"""Deployments: realtime session rows, publishable keys, per-turn metrics and dashboard stats.

``sessions`` holds the Runway realtime-session lifecycle (NOT_READY → READY → RUNNING →
COMPLETED | FAILED | CANCELLED); ``keys`` the ``pk_`` publishable keys the embed widget uses
(scoped to one avatar and a list of origins); ``stats`` the aggregates the Studio charts.
"""
