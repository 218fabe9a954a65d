"""Living characters: a person in a generated shot blinks, breathes and turns; a quoted line is
spoken in the character's voice, lip-synced (checked independently by re-running the face mesh
on the decoded MP4), with an audio track."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import av
import numpy as np
import pytest
from skimage import data

from kinema.errors import InvalidInput
from kinema.face import metrics as M
from kinema.media.audio import Audio
from kinema.media.video import probe, read_frames
from kinema.video import GenerationRequest, Reference, generate
from kinema.video.engines.compositor import FrameRenderer
from kinema.video.scene import build_scene
from kinema.voice.presets import resolve_voice
from kinema.voice.tts.base import PhonemeEvent

# the neural voice samples noise (each synthesis differs a little): the formant voice is
# deterministic, so these tests are too
ESPEAK_EMMA = dataclasses.replace(resolve_voice("emma"), engine="espeak")
LINE = "People probably buy maps when they travel. My brother bought a big blue map."


def _audio(path: Path) -> Audio:
    with av.open(str(path)) as c:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
        rate = c.streams.audio[0].rate
    return Audio((np.clip(pcm, -1, 1) * 32767).astype(np.int16), rate)


@pytest.mark.slow
def test_a_speaking_character_passes_the_lip_sync_check(tmp_path: Path) -> None:
    # a face big enough for the landmark model to see lip closures (~200 px tall)
    req = GenerationRequest(
        kind="video",
        prompt=f'static. she says "{LINE}"',
        width=512,
        height=512,
        duration=6,
        seed=2,
        preset="quality",
        first_frame=data.astronaut(),
        first_frame_voice=ESPEAK_EMMA,
    )
    res = generate(req, tmp_path)
    info = probe(res.files[0])
    assert info.audio_codec == "aac" and abs(info.duration - info.audio_duration) <= 1 / 24
    assert (info.frames, info.width, info.height) == (144, 512, 512)
    (hero,) = res.plan["characters"]
    assert hero["animated"] and hero["says"] == LINE
    assert f'says "{LINE}"' in res.understood
    frames, fps = read_frames(res.files[0])
    openings = M.mouth_openings(frames)  # the landmark model, re-run on the decoded frames
    assert np.isnan(openings).mean() < 0.05
    audio = _audio(res.files[0])
    offset = M.av_offset(openings, audio, fps)
    assert abs(offset) <= 1 / 24, f"A/V offset {offset * 1000:.0f} ms"
    said = hero["speech"]  # where the engine put the line's p/b/m (the audio confirms it)
    start = said["start"]
    phonemes = [PhonemeEvent("p", a, b, "PP") for a, b in said["bilabials"]]
    assert len(phonemes) >= 10
    assert M.bilabial_closure(openings, phonemes, fps) >= 0.8
    assert np.nanmax(openings) > 0.25  # it really talks
    before = openings[: int(start * fps) - 1]
    assert np.nanmax(before) < 0.5 * np.nanmax(openings)  # and is quiet before its line


def test_a_silent_character_blinks_and_breathes_on_a_still_plate(astronaut: np.ndarray) -> None:
    req = GenerationRequest(
        kind="video", prompt="static", width=320, height=320, duration=4, seed=1,
        first_frame=astronaut,
    )  # fmt: skip
    scene = build_scene(req)
    assert scene.audio is None and len(scene.livings) == 1
    lv = scene.livings[0]
    r = FrameRenderer(scene)
    frames = [r.render(i).astype(np.float32) for i in range(24, scene.frames, 2)]
    x, y, side, _ = lv.info["face_box"]
    sub = scene.layers[lv.layer]
    fx0, fy0 = int(sub.x + x), int(sub.y + y)
    face = [f[fy0 + side // 4 : fy0 + side // 2, fx0 : fx0 + side] for f in frames]  # eyes
    change = max(float(np.abs(a - face[0]).mean()) for a in face[1:])
    assert change > 2.0, "the eyes never moved (no blink)"
    corner = [f[:40, :40] for f in frames]  # the plate behind stays still on a static camera
    assert max(float(np.abs(a - corner[0]).mean()) for a in corner[1:]) < 0.5
    # breathing: the cut-out's scale changes a little, slowly
    assert abs(lv.breath(0.0) - lv.breath(2.0)) > 0.001 and abs(lv.breath(0.0) - 1) < 0.01


def test_dialogue_without_a_face_or_too_long_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no face"):
        build_scene(
            GenerationRequest(
                kind="video", prompt='a city. she says "hello"', width=64, height=36, duration=2
            )
        )
    hero = [Reference(data.astronaut(), "hero", "character")]
    with pytest.raises(InvalidInput, match="duration") as err:
        build_scene(
            GenerationRequest(
                kind="video",
                prompt=f'close-up of @hero. @hero says "{LINE}"',
                width=320,
                height=320,
                duration=2,
                references=hero,
            )
        )
    assert err.value.field == "duration"


def test_same_seed_same_bytes_with_a_living_character(
    tmp_path: Path, astronaut: np.ndarray
) -> None:
    def render(out: Path) -> bytes:
        req = GenerationRequest(
            kind="video",
            prompt='slow push in. she says "Hi there."',
            width=256,
            height=256,
            duration=2,
            seed=4,
            first_frame=astronaut,
            first_frame_voice=ESPEAK_EMMA,
        )
        return generate(req, out).files[0].read_bytes()

    assert render(tmp_path / "a") == render(tmp_path / "b")
