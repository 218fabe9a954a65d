"""What a task handler gets (``JobContext``) and returns (``JobOutput``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kinema.config import Settings
from kinema.errors import Cancelled
from kinema.platform.storage import Storage


@dataclass
class JobOutput:
    """Files already in storage (keys, main outputs first) and extra task fields
    (camelCase, e.g. ``promptUnderstood``) shown on the task."""

    files: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"files": list(self.files), "extra": dict(self.extra)}


@dataclass
class JobContext:
    task_id: str
    attempt: int
    out_dir: Path  # a fresh local scratch folder for this attempt
    storage: Storage
    settings: Settings
    _progress: Callable[[float], None] = lambda f: None
    _cancelled: Callable[[], bool] = lambda: False
    _last_check: float = 0.0
    _cached: bool = False

    def progress(self, fraction: float) -> None:
        """Report 0..1; cheap to call every frame (the sink throttles writes)."""
        self._progress(fraction)

    def should_cancel(self) -> bool:
        """True once the task was cancelled; cheap to call every frame (checked at ≤ 10 Hz)."""
        now = time.monotonic()
        if not self._cached and now - self._last_check >= 0.1:
            self._last_check = now
            self._cached = self._cancelled()
        return self._cached

    def check_cancel(self) -> None:
        if self.should_cancel():
            raise Cancelled("The task was cancelled.")

    def input_bytes(self, key: str) -> bytes:
        return self.storage.get_bytes(key)

    def store(self, path: Path, name: str | None = None) -> str:
        """Copy a produced file to ``tasks/<id>/<name>`` in storage; returns its key."""
        return self.storage.put_file(f"tasks/{self.task_id}/{name or path.name}", path)
