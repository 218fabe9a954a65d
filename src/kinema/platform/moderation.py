"""Prompt moderation before a render: a configurable term list (``settings.blocked_terms``).

A task whose prompt names a blocked term fails with Runway's ``SAFETY.INPUT.TEXT`` (do not
retry), like Runway's own moderation, which also runs inside the task rather than at create.
"""

from __future__ import annotations

import re

from kinema.config import Settings
from kinema.errors import KinemaError


class UnsafeInput(KinemaError):
    status = 400
    code = "SAFETY.INPUT.TEXT"


def check_prompt(prompt: str, settings: Settings) -> None:
    text = prompt.lower()
    for term in settings.blocked_terms:
        if term and re.search(rf"(?<!\w){re.escape(term.lower())}(?!\w)", text):
            raise UnsafeInput(
                f"The prompt was flagged by content moderation (blocked term {term!r})."
            )
