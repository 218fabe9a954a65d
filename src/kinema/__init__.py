"""Kinema: self-hosted living characters and consistent video."""

__version__ = "0.1.0"
