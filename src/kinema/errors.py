"""Typed public errors.

Every error a user can cause or meet is a ``KinemaError`` subclass. Engines raise them without
knowing about HTTP; the API maps ``status`` to the response code and ``str(err)`` to the Runway
style body ``{"error": "..."}``. Messages say what is wrong and, where possible, what to do.
"""

from __future__ import annotations


class KinemaError(Exception):
    """Base of all public errors. ``status`` is the HTTP status the API answers with."""

    status: int = 400
    code: str = "INVALID_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InvalidInput(KinemaError):
    """The request or a file in it cannot be used (wrong type, size, shape or value)."""


class InvalidMedia(InvalidInput):
    """An image, video or audio input is corrupt, of the wrong type or out of limits."""

    code = "ASSET.INVALID"


class FetchRefused(InvalidMedia):
    """A URL was refused: not https, private address, redirect, too large, timeout."""


class NoFace(InvalidInput):
    """No usable face was found in the image (use manual keypoints for animals and art)."""

    code = "ASSET.INVALID"


class UnknownVoice(InvalidInput):
    """The named voice preset does not exist."""


class Unauthorized(KinemaError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(KinemaError):
    status = 403
    code = "FORBIDDEN"


class NotFound(KinemaError):
    status = 404
    code = "NOT_FOUND"


class Conflict(KinemaError):
    status = 409
    code = "CONFLICT"


class InsufficientCredits(KinemaError):
    """The organization's balance cannot cover the estimated cost."""

    status = 400
    code = "INSUFFICIENT_CREDITS"


class RateLimited(KinemaError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Cancelled(KinemaError):
    """Raised inside an engine when its job was cancelled; never shown to users as an error."""

    status = 409
    code = "CANCELLED"


class EngineFailure(KinemaError):
    """An engine could not produce output (task fails with ``failureCode``)."""

    status = 500
    code = "INTERNAL"


class BackendUnavailable(KinemaError):
    """An optional backend (LLM, Whisper, Piper, diffusers) is not installed or not reachable."""

    status = 503
    code = "BACKEND_UNAVAILABLE"
