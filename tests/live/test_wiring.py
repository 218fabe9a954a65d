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


def test_animator_keeps_early_sentences_when_later_ones_are_queued_far_ahead():
    """Replies are scheduled ahead of the clock; an early sentence must still move the mouth."""
    from kinema.live.wiring import make_animator
    from kinema.voice.tts import DEFAULT_VOICE, get_tts

    tts = get_tts()
    texts = ["I'm Zora, a friendly assistant.", "word " * 40, "Ask me anything!"]
    animator = make_animator()
    t0 = 0.3
    for text in texts:  # all three scheduled at once, as the session does
        speech = tts.synthesize(text, DEFAULT_VOICE)
        animator.say(speech.phonemes, t0, "neutral")
        t0 += speech.audio.duration
    jaw = [animator.controls_at(0.3 + k / 24).jaw_open for k in range(24)]
    assert max(jaw) > 0.3  # the first sentence is voiced
    late = [animator.controls_at(t0 - 0.8 + k / 24).jaw_open for k in range(12)]
    assert max(late) > 0.2  # and so is the last one
