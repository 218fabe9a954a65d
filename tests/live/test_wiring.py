"""Rig cache: one build per character, shared read-only; engines per session."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import skimage.data

from kinema.live.wiring import RigCache, build_engines


@pytest.mark.slow
def test_rig_is_built_once_for_concurrent_sessions_and_renderers_are_separate():
    cache = RigCache()
    img = skimage.data.astronaut()
    with ThreadPoolExecutor(4) as pool:
        rigs = list(pool.map(lambda _: cache.get("astro", img), range(4)))
    assert cache.builds == 1 and all(r is rigs[0] for r in rigs)
    with pytest.raises(KeyError):
        cache.get("unknown")
    a = build_engines(rig=rigs[0], size=64, speech_input=False)
    b = build_engines(rig=rigs[0], size=64, speech_input=False)
    assert a.renderer is not b.renderer and a.animator is not b.animator
    assert a.renderer.rig is b.renderer.rig  # shared read-only
