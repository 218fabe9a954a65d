"""Shared worker threads: rendering and speech work run here, never on the event loop.

OpenCV, NumPy, espeak-ng and PocketSphinx release the GIL in their inner loops, so threads use
both cores. Rendering and speech get separate pools so a long synthesis never delays a frame.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache


@lru_cache(maxsize=1)
def render_threads() -> int:
    """One thread per core by default; ``KINEMA_LIVE_RENDER_THREADS`` overrides it (bench A/B)."""
    threads = int(os.environ.get("KINEMA_LIVE_RENDER_THREADS") or 0)
    return threads or max(2, os.cpu_count() or 2)


@lru_cache(maxsize=1)
def render_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=render_threads(), thread_name_prefix="render")


@lru_cache(maxsize=1)
def speech_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="speech")
