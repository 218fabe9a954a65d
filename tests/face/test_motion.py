"""Motion: coarticulation, anticipation, closures, blinks, idle, barge-in, envelope fallback."""

from __future__ import annotations

import numpy as np
import pytest

from kinema.errors import InvalidInput
from kinema.face.motion import ANTICIPATION, RELEASE, Animator, controls_track, envelope_phonemes
from kinema.media.audio import Audio
from kinema.voice.tts.base import PhonemeEvent


def ev(seq: list[tuple[str, float]], t0: float = 0.2) -> list[PhonemeEvent]:
    out, t = [], t0
    for vis, dur in seq:
        out.append(PhonemeEvent(vis.lower(), t, t + dur, vis))
        t += dur
    return out


def test_viseme_targets_are_reached_and_neighbours_blend():
    a = Animator(seed=1)
    a.say(ev([("aa", 0.3), ("U", 0.3)]), 0.0)
    mid_aa, mid_u = a.controls_at(0.32), a.controls_at(0.65)
    assert mid_aa.jaw_open > 0.8 and mid_aa.lips_round < 0.15
    assert mid_u.lips_round > 0.8 and mid_u.jaw_open < 0.35
    edge = a.controls_at(0.5 - ANTICIPATION)  # the boundary, shifted by anticipation
    assert 0.3 < edge.jaw_open < 0.8 and 0.2 < edge.lips_round < 0.8  # a blend of both


def test_lips_anticipate_the_sound():
    a = Animator(seed=1)
    a.say(ev([("aa", 0.3)], t0=0.5), 0.0)
    assert a.controls_at(0.5 - ANTICIPATION / 2).jaw_open > 0.3  # opening before the onset
    assert a.controls_at(0.3).jaw_open < 0.05


@pytest.mark.parametrize("dur", [0.02, 0.05, 0.09])
def test_bilabials_close_even_when_short_and_between_open_vowels(dur):
    a = Animator(seed=1)
    events = ev([("aa", 0.15), ("PP", dur), ("aa", 0.15)])
    a.say(events, 0.0)
    pp = events[1]
    c = a.controls_at((pp.start + pp.end) / 2 - ANTICIPATION / 2)
    assert c.lips_press > 0.6 and c.jaw_open < 0.15


def test_blinks_are_natural_and_seeded():
    a, b = Animator(seed=3), Animator(seed=3)
    ts = np.arange(0, 60, 1 / 30)
    blink = np.array([a.controls_at(t).blink_left for t in ts])
    assert np.array_equal(blink, [b.controls_at(t).blink_left for t in ts])
    onsets = int(np.sum((blink[1:] > 0.9) & (blink[:-1] <= 0.9)))
    assert 8 <= onsets <= 30  # 10-20 blinks a minute is human
    assert blink.max() == pytest.approx(1.0, abs=0.1) and np.mean(blink > 0.5) < 0.08


def test_idle_motion_is_alive_but_small():
    a = Animator(seed=2)
    ts = np.arange(0, 20, 1 / 25)
    yaw = np.array([a.controls_at(t).head_yaw for t in ts])
    gaze = np.array([a.controls_at(t).gaze_x for t in ts])
    jaw = np.array([a.controls_at(t).jaw_open for t in ts])
    assert 0.5 < np.ptp(yaw) < 8 and np.ptp(gaze) > 0.1
    assert jaw.max() < 0.01  # silent: the mouth rests


def test_stop_returns_the_mouth_to_rest_smoothly():
    a = Animator(seed=1)
    a.say(ev([("aa", 2.0)], t0=0.0), 10.0)
    assert a.controls_at(11.0).jaw_open > 0.8
    a.stop(11.0)
    assert a.state == "listening"
    ts = np.arange(11.0, 11.0 + RELEASE + 0.1, 0.01)
    jaw = np.array([a.controls_at(t).jaw_open for t in ts])
    assert np.all(np.diff(jaw) <= 1e-6) and jaw[-1] < 0.02
    assert np.max(np.abs(np.diff(jaw))) < 0.25  # no snap


def test_states_and_emotions():
    a = Animator(seed=1)
    with pytest.raises(InvalidInput):
        a.set_state("dancing")
    with pytest.raises(InvalidInput):
        a.set_emotion("smug")
    a.set_emotion("happy", 1.0, at=1.0)
    assert a.controls_at(0.5).smile < 0.2 and a.controls_at(2.0).smile > 0.7
    a.set_state("thinking")
    assert a.controls_at(3.0).gaze_y < 0.0


def test_speech_emphasis_nods():
    a = Animator(seed=1)
    stressed = [PhonemeEvent("'a", 1.0, 1.3, "aa")]
    plain = [PhonemeEvent("a", 1.0, 1.3, "aa")]
    a.say(stressed, 0.0)
    b = Animator(seed=1)
    b.say(plain, 0.0)
    assert a.controls_at(1.15).head_pitch > b.controls_at(1.15).head_pitch + 1.0


def test_controls_track_length():
    track = controls_track(ev([("aa", 0.3)]), duration=2.0, fps=25)
    assert len(track) == 50


def test_envelope_fallback_follows_loudness():
    rate = 16000
    t = np.arange(rate * 2) / rate
    tone = (np.sin(2 * np.pi * 180 * t) * 12000 * ((t > 0.5) & (t < 1.5))).astype(np.int16)
    events = envelope_phonemes(Audio(tone, rate))
    quiet = [e.viseme for e in events if e.end < 0.45]
    loud = [e.viseme for e in events if 0.6 < e.start < 1.4]
    assert set(quiet) == {"sil"} and "sil" not in loud
    track = controls_track(events, 2.0, 25)
    assert track[25].jaw_open > 0.3 and track[5].jaw_open < 0.05
