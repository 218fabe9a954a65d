"""Secrets out of the server's logs: uvicorn's access log prints every request's path with its
query, so ``token=`` (live connect tokens, legacy clients) and ``sig=`` (signed file URLs) values
are replaced by ``[redacted]`` before any handler formats the record."""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"(?i)(?<![A-Za-z0-9_])((?:token|sig)=)[^&\s\"'#]+")
LOGGERS = ("uvicorn.access", "uvicorn.error")  # uvicorn logs WebSocket handshakes to .error


def redact(text: str) -> str:
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction() -> None:
    """Idempotent; the filters sit on the loggers, so uvicorn's own logging config keeps them."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
