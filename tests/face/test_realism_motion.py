"""Realism, read back from rendered frames: motion (issue 9, second part).

The jaw moves continuously (no frame-to-frame jump beyond a quarter of its range outside stop
releases), blinks come every 2-6 s as an upper-lid sweep, the head turns with speech (±5° and
more, measured on the frames) without fold-over, emotions reach the eyes.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kinema.face import landmarks as L
from kinema.face import metrics as M
from kinema.face.analyze import mesh_points
from kinema.face.controls import FaceControls, emotion_controls, viseme_controls
from kinema.face.motion import Animator, plosive_releases
from kinema.face.render import Renderer, control_vector
from kinema.face.rig import BASES
from kinema.voice.tts import DEFAULT_VOICE, get_tts
from kinema.voice.tts.base import Speech

FPS = 24
TEXT = (
    "Good morning. I have been looking forward to this conversation all week, you know. "
    "Tell me, what brings you here today, and how can I help? We could talk about books, "
    "about the weather, or about anything at all."
)


@pytest.fixture(scope="module")
def speech() -> Speech:
    sp = get_tts().synthesize(TEXT, DEFAULT_VOICE)
    assert sp.audio.duration >= 9.0
    return sp


def _clip(rig, speech: Speech, size: int, seconds: float | None = None):
    a = Animator(seed=0)
    a.say(speech.phonemes, 0.0)
    n = round((seconds or speech.audio.duration) * FPS)
    r = Renderer(rig, size)
    controls = [a.controls_at(i / FPS) for i in range(n)]
    return r, controls


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cartoon", "mona_lisa"])
def test_jaw_moves_continuously_outside_stop_releases(rigs, speech, name):
    rig = rigs[name]
    r, controls = _clip(rig, speech, 384, seconds=6.0)
    frames = [r.rest_frame(), r.render(viseme_controls("aa")).copy()]
    frames += [r.render(c).copy() for c in controls]
    jaw = M.jaw_drop(frames, rig)
    full = jaw[1] - jaw[0]  # the jaw's range: closed to wide open, measured the same way
    jaw = jaw[2:]
    assert full > 5.0 and np.ptp(jaw) > 0.5 * full  # it talks
    jumps = np.abs(np.diff(jaw))
    free = np.ones(len(jumps), bool)
    for t in plosive_releases(speech.phonemes):
        i = int(np.floor((t - 0.02) * FPS))
        free[max(0, i - 1) : i + 2] = False
    assert free.mean() > 0.7
    worst = float(jumps[free].max())
    assert worst <= 0.25 * full, f"jaw jumped {worst / full:.2f} of its range in one frame"


@pytest.mark.parametrize("name", ["astronaut", "dog"])
def test_blinks_every_2_to_6_seconds_read_from_the_frames(rigs, name):
    rig = rigs[name]
    r = Renderer(rig, 128)
    a = Animator(seed=5)
    k = 128 / rig.size
    boxes = [np.round(e.box * k).astype(int) for e in rig.eyes]
    closed = []
    for i in range(30 * FPS):
        c = a.controls_at(i / FPS)
        f = r.render(c).astype(np.int16)
        c.blink_left = c.blink_right = 0.0
        g = r.render(c).astype(np.int16)  # the same frame with the lids open
        d = max(float(np.abs(f - g)[y0:y1, x0:x1].mean()) for x0, y0, x1, y1 in boxes)
        closed.append(d)
    closed_a = np.array(closed)
    shut = closed_a > 0.5 * closed_a.max()
    onsets = np.flatnonzero(shut[1:] & ~shut[:-1]) + 1
    times = onsets / FPS
    assert len(times) >= 5
    assert times[0] < 3.0, times
    gaps = np.diff(times)
    assert gaps.min() >= 2.0 - 1 / FPS and gaps.max() <= 6.0 + 1 / FPS, gaps
    assert gaps.std() > 0.2  # a natural spread, not a metronome


def test_a_blink_is_an_upper_lid_sweep(rigs):
    rig = rigs["astronaut"]
    r = Renderer(rig, 512)
    rest = r.rest_frame().astype(np.int16)
    k = 512 / rig.size
    for e in rig.eyes:
        xs = np.arange(512)
        yu = np.interp(xs, e.upper[:, 0] * k, e.upper[:, 1] * k)
        yl = np.interp(xs, e.lower[:, 0] * k, e.lower[:, 1] * k)
        x0, x1 = round(e.upper[:, 0].min() * k), round(e.upper[:, 0].max() * k)
        cols = np.arange(x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4)
        prev_top = 0.0
        for b in (0.3, 0.6):
            f = r.render(FaceControls(blink_left=b, blink_right=b)).astype(np.int16)
            diff = np.abs(f - rest).sum(axis=2)
            top = np.mean(
                [
                    diff[round(yu[x]) + 1 : round(yu[x] + 0.3 * (yl[x] - yu[x])), x].mean()
                    for x in cols
                ]
            )
            bottom = np.mean(
                [diff[round(yl[x] - 0.25 * (yl[x] - yu[x])) : round(yl[x]), x].mean() for x in cols]
            )
            assert top > 20 and bottom < 0.3 * top, (b, top, bottom)  # from the top down
            assert top >= prev_top
            prev_top = top


@pytest.mark.slow
@pytest.mark.parametrize("name", ["astronaut", "cartoon"])
def test_head_turns_with_speech_without_folds(rigs, speech, name):
    rig = rigs[name]
    r, controls = _clip(rig, speech, 256, seconds=10.0)
    rest_pts = mesh_points(r.rest_frame())
    vec = np.zeros(len(BASES), np.float32)
    yaws, pitches = [], []
    for i, c in enumerate(controls):
        v = control_vector(c, vec)
        assert M.mesh_folds(rig, v) == 0, (i, c)
        pitches.append(c.head_pitch)
        if i % 3:
            continue
        frame = r.render(c).copy()
        lips = M.opening_mask(rig, v, 256, r.box)
        assert M.map_folds(r.current_map(), lips) == 0.0, i
        pts = mesh_points(frame)
        assert pts is not None
        yaws.append(M.head_yaw(pts, rest_pts))
    yaws_a = np.array(yaws)
    # measured on the frames: the head turns both ways by about 5 degrees or more
    assert yaws_a.max() >= 4.0 and yaws_a.min() <= -4.0 and np.ptp(yaws_a) >= 10.0, yaws_a
    assert np.ptp(pitches) >= 3.0  # nods and pose shifts
    # speech-driven: it moves more while talking than while idle
    idle = Animator(seed=0)
    idle_yaw = [idle.controls_at(i / FPS).head_yaw for i in range(len(controls))]
    assert np.ptp(idle_yaw) < np.ptp([c.head_yaw for c in controls])


@pytest.mark.parametrize("name", ["cartoon", "astronaut", "einstein"])
def test_emotions_reach_the_eyes(rigs, name):
    rig = rigs[name]
    r = Renderer(rig, 512)

    def eye_open(frame: np.ndarray) -> float:
        p = mesh_points(frame)
        assert p is not None
        return float(
            np.mean(
                [
                    np.hypot(*(p[up, :2] - p[lo, :2])) / np.hypot(*(p[a, :2] - p[b, :2]))
                    for up, lo, a, b in ((159, 145, 33, 133), (386, 374, 362, 263))
                ]
            )
        )

    neutral = eye_open(r.rest_frame())
    happy_f = r.render(emotion_controls("happy")).copy()
    assert eye_open(happy_f) < 0.92 * neutral  # a real smile narrows the eyes
    assert eye_open(r.render(emotion_controls("surprised")).copy()) > 1.04 * neutral
    # and lifts the cheeks: under the eyes the happy face differs from a mouth-only smile
    mouth_only = r.render(FaceControls(smile=0.9)).astype(np.int16)
    k = 512 / rig.size
    p = rig.points[:, :2] * k
    cheek = np.zeros((512, 512), np.uint8)
    for e_idx in (L.KEYPOINTS["left_eye"], L.KEYPOINTS["right_eye"]):
        c = p[list(e_idx)].mean(axis=0)
        iod = float(np.hypot(*(p[L.EYE_R_OUTER] - p[L.EYE_L_OUTER]))) * 0.7
        cv2.circle(cheek, (round(c[0]), round(c[1] + 0.35 * iod)), round(0.15 * iod), 255, -1)
    diff = np.abs(happy_f.astype(np.int16) - mouth_only).sum(axis=2)[cheek > 0]
    assert diff.mean() > 3.0
