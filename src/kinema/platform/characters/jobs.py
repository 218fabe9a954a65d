"""Task handlers of the Characters API (run in worker processes).

``avatar_build``: portrait → analysis → rig (free). ``avatar_video`` (model ``gwm1_avatars``):
an avatar speaks text (TTS) or an audio file. ``act_two``: a portrait performs a reference
video (``performance`` retargeting). Payloads are plain JSON with inputs already in storage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kinema.errors import EngineFailure, InvalidMedia
from kinema.platform.jobs.context import JobContext, JobOutput


def run_avatar_build(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.platform.characters.avatars import build

    status = build(payload["avatar_id"], ctx.settings, ctx.progress)
    return JobOutput(files=[], extra={"avatarStatus": status})


def _speech(payload: dict[str, Any], ctx: JobContext):
    from kinema.media.audio import decode_audio
    from kinema.voice.presets import VoiceSpec
    from kinema.voice.tts import get_tts
    from kinema.voice.tts.base import Speech

    speech = payload["speech"]
    if speech["type"] == "text":
        spec = VoiceSpec.from_json(speech["voice"])
        from kinema.platform.characters.voices import prosody

        return get_tts(ctx.settings.tts).synthesize(
            speech["text"], spec, prosody(payload.get("emotion"))
        )
    audio = decode_audio(
        ctx.input_bytes(payload["inputs"]["speech"]), rate=24000, field="speech.audio"
    )
    return Speech(audio=audio, phonemes=[], text="", voice="audio")


def run_avatar_video(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.face.rig import Rig
    from kinema.face.talk import render_talking_clip
    from kinema.media.video import probe

    rig = Rig.from_bytes(ctx.input_bytes(payload["inputs"]["rig"]))
    speech = _speech(payload, ctx)
    ctx.progress(0.05)
    fps, size = int(payload.get("fps", 24)), int(payload.get("size", 512))
    out = ctx.out_dir / "avatar_video.mp4"
    render_talking_clip(
        rig,
        speech,
        out,
        fps=fps,
        size=size,
        emotion=payload.get("emotion", "neutral"),
        seed=int(payload.get("seed", 0)),
        progress=lambda done, total: ctx.progress(0.05 + 0.9 * done / total),
        should_cancel=ctx.should_cancel,
    )
    info = probe(out)
    if info.frames < 1 or (info.width, info.height) != (size, size):
        raise EngineFailure("Bad output: the talking clip is not the video asked for.")
    return JobOutput(files=[ctx.store(out)], extra={"duration": round(speech.audio.duration, 3)})


def _cover(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """``image`` scaled to cover w×h and centre-cropped."""
    ih, iw = image.shape[:2]
    k = max(w / iw, h / ih)
    big = cv2.resize(
        image,
        (max(w, round(iw * k)), max(h, round(ih * k))),
        interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
    )
    y0, x0 = (big.shape[0] - h) // 2, (big.shape[1] - w) // 2
    return np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])


def run_act_two(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.face.analyze import analyze
    from kinema.face.render import Renderer
    from kinema.face.retarget import retarget_controls
    from kinema.face.rig import Rig
    from kinema.media.audio import decode_audio
    from kinema.media.image import load_image
    from kinema.media.video import VideoWriter, read_frames

    inputs = payload["inputs"]
    character = load_image(ctx.input_bytes(inputs["character"]), field="character.uri")
    if "rig" in inputs:  # a READY avatar brings its own rig
        rig = Rig.from_bytes(ctx.input_bytes(inputs["rig"]))
    else:
        rig = Rig.build(None, analyze(character))
    ref_path = ctx.out_dir / "reference.mp4"
    ref_path.write_bytes(ctx.input_bytes(inputs["reference"]))
    frames, ref_fps = read_frames(ref_path, size=None)
    fps = 24
    duration = len(frames) / ref_fps
    n = max(1, round(duration * fps))
    picks = [min(len(frames) - 1, round(i * ref_fps / fps)) for i in range(n)]
    sampled = [frames[i] for i in picks]
    ctx.progress(0.05)
    controls = retarget_controls(sampled, payload.get("intensity", 3), ctx.should_cancel)
    ctx.progress(0.4)
    w, h = int(payload["width"]), int(payload["height"])
    side = min(w, h) // 2 * 2
    renderer = Renderer(rig, side)
    background = cv2.GaussianBlur(_cover(character, w, h), (0, 0), 12)
    canvas = background.copy()
    x0, y0 = (w - side) // 2, (h - side) // 2
    try:
        audio = decode_audio(ctx.input_bytes(inputs["reference"]), rate=24000, field="reference")
    except InvalidMedia:
        audio = None
    out = ctx.out_dir / "act_two.mp4"
    written = 0
    with VideoWriter(out, w, h, fps, audio_rate=audio.rate if audio else None) as writer:
        for i, c in enumerate(controls):
            ctx.check_cancel()
            canvas[y0 : y0 + side, x0 : x0 + side] = renderer.render(c)
            writer.write(canvas)
            if audio is not None:
                upto = min(len(audio.samples), round((i + 1) / fps * audio.rate))
                if upto > written:
                    writer.write_audio(audio.samples[written:upto])
                    written = upto
            ctx.progress(0.4 + 0.55 * (i + 1) / len(controls))
    return JobOutput(files=[ctx.store(Path(out))], extra={"duration": round(n / fps, 3)})
