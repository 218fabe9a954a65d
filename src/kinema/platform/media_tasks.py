"""Task kinds of the audio, upscaling and recipe endpoints (run in worker processes).

``speech`` (text_to_speech, speech_to_speech, voice_dubbing), ``voice_isolation``,
``image_upscale``, ``video_upscale`` and ``multi_shot``. Payloads are plain JSON built by the API
at create time (inputs already in storage, voices already resolved to ``VoiceSpec`` JSON); the
outputs are checked before they are stored.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from kinema.errors import EngineFailure, InvalidMedia
from kinema.platform.jobs.context import JobContext, JobOutput


def _store_audio(ctx: JobContext, audio: Any, fmt: str, name: str) -> str:
    from kinema.media.audio_out import encode_audio

    if len(audio.samples) == 0:
        raise EngineFailure("Bad output: the engine produced no audio.")
    data, ext = encode_audio(audio, fmt)
    path = ctx.out_dir / f"{name}.{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return ctx.store(path)


def _input_audio(
    ctx: JobContext, payload: dict[str, Any], field: str, rate: int | None = None
) -> Any:
    from kinema.media.audio import decode_audio
    from kinema.media.audio_out import native_rate

    data = ctx.input_bytes(payload["inputs"]["audio"])
    return decode_audio(data, rate=rate or native_rate(data, field), field=field)


def _transcribe(audio: Any, ctx: JobContext, field: str) -> str:
    from kinema.media.audio import Audio, resample
    from kinema.voice.asr import get_asr

    audio16 = Audio(resample(audio.samples, audio.rate, 16000), 16000)
    text = get_asr(ctx.settings.asr).transcribe(audio16).text.strip()
    if not text:
        err = InvalidMedia(f"{field}: no speech was recognised in the audio.", field=field)
        err.code = "ASSET.INVALID"
        raise err
    return text


def _mix(speech: np.ndarray, background: np.ndarray) -> np.ndarray:
    n = max(len(speech), len(background))
    out = np.zeros(n, np.float32)
    out[: len(speech)] += speech
    out[: len(background)] += background
    return np.clip(out, -32768, 32767).astype(np.int16)


def run_speech(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    """Speak ``text`` (text_to_speech) or the transcript of an input (speech_to_speech,
    voice_dubbing into the input's own language) in a voice; WAV/MP3/Opus out."""
    from kinema.media.audio import Audio, resample
    from kinema.platform.moderation import check_prompt
    from kinema.voice.isolation import isolate_voice
    from kinema.voice.presets import VoiceSpec
    from kinema.voice.tts import VoiceSettings, get_tts

    mode = payload["mode"]  # tts | sts | dub
    extra: dict[str, Any] = {}
    background = None
    source = None
    if mode == "tts":
        text = payload["text"]
    else:
        source = _input_audio(ctx, payload, payload.get("field", "audioUri"))
        ctx.progress(0.1)
        clean = isolate_voice(source) if payload.get("denoise") else source
        text = _transcribe(clean, ctx, payload.get("field", "audioUri"))
        extra["transcript"] = text
        if mode == "dub" and payload.get("keep_background"):
            voice = isolate_voice(source)
            background = source.samples.astype(np.float32) - voice.samples.astype(np.float32)
    check_prompt(text, ctx.settings)
    ctx.check_cancel()
    ctx.progress(0.4)
    voice_json = payload.get("voice")
    if payload.get("match_voice") and source is not None:  # voice_dubbing's voice cloning
        from kinema.voice.design import match_from_sample

        spec, _ = match_from_sample(source, language=None, name="dubbed")
    elif payload.get("reference"):  # seed_audio: a voice matched to a reference clip
        from kinema.media.audio import decode_audio
        from kinema.voice.design import match_from_sample

        ref = decode_audio(ctx.input_bytes(payload["inputs"]["reference"]), rate=22050)
        spec, _ = match_from_sample(ref, language=None, name="reference")
    else:
        spec = VoiceSpec.from_json(voice_json) if voice_json else None  # type: ignore[assignment]
    prosody = VoiceSettings(speed=float(payload.get("speed", 1.0)), pitch=1.0)
    speech = get_tts(ctx.settings.tts).synthesize(text, spec, prosody)
    audio = speech.audio
    if semitones := float(payload.get("pitch_semitones", 0)):
        audio = _pitch_shift(audio, semitones)
    if gain_db := float(payload.get("gain_db", 0)):
        scaled = audio.samples.astype(np.float32) * 10 ** (gain_db / 20)
        audio = Audio(np.clip(scaled, -32768, 32767).astype(np.int16), audio.rate)
    rate = int(
        payload.get("sample_rate") or (source.rate if background is not None and source else 0)
    )
    if rate and rate != audio.rate:
        audio = Audio(resample(audio.samples, audio.rate, rate), rate)
    if background is not None and source is not None:
        bg = resample(np.clip(background, -32768, 32767).astype(np.int16), source.rate, audio.rate)
        audio = Audio(_mix(audio.samples, bg), audio.rate)
    ctx.progress(0.9)
    key = _store_audio(ctx, audio, payload.get("format", "wav"), "speech")
    extra["duration"] = round(audio.duration, 3)
    return JobOutput(files=[key], extra=extra)


def _pitch_shift(audio: Any, semitones: float) -> Any:
    """Shift pitch by resampling (duration changes by the same factor; fine for ±a few)."""
    from kinema.media.audio import Audio, resample

    factor = 2 ** (semitones / 12)
    shifted = resample(audio.samples, int(round(audio.rate * factor)), audio.rate)
    return Audio(shifted, audio.rate)


def run_voice_isolation(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.voice.isolation import isolate_voice

    audio = _input_audio(ctx, payload, "audioUri")
    ctx.progress(0.2)
    out = isolate_voice(audio)
    ctx.check_cancel()
    key = _store_audio(ctx, out, "wav", "voice")
    return JobOutput(files=[key], extra={"duration": round(out.duration, 3)})


def run_image_upscale(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.media.image import encode_image, load_image
    from kinema.media.upscale import METHOD, UpscaleOptions, upscale_image

    rgb = load_image(ctx.input_bytes(payload["inputs"]["image"]), field="imageUri")
    width, height = int(payload["width"]), int(payload["height"])
    opts = UpscaleOptions(**payload.get("options", {}))
    ctx.progress(0.1)
    out = upscale_image(rgb, width, height, opts)
    if out.shape[:2] != (height, width):
        raise EngineFailure("Bad output: the upscaled image has the wrong size.")
    path = ctx.out_dir / "upscaled.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_image(out, "PNG"))
    return JobOutput(
        files=[ctx.store(path)], extra={"width": width, "height": height, "method": METHOD}
    )


def run_video_upscale(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.media.upscale import (
        FRAME_RATE_METHOD,
        METHOD,
        UpscaleOptions,
        VideoJob,
        process_video,
    )
    from kinema.media.video import probe

    src = ctx.out_dir / "input" / "source.mp4"
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(ctx.input_bytes(payload["inputs"]["video"]))
    fps = Fraction(payload["fps"]).limit_denominator(1001)
    job = VideoJob(
        width=int(payload["width"]),
        height=int(payload["height"]),
        fps=fps,
        options=UpscaleOptions(**payload.get("options", {})),
        max_seconds=float(payload["duration"]),
    )
    out = ctx.out_dir / "video.mp4"
    frames = process_video(src, out, job, ctx.progress, ctx.should_cancel)
    info = probe(out)
    if (info.width, info.height) != (job.width, job.height) or info.frames != frames:
        raise EngineFailure("Bad output: the upscaled video is not the size asked for.")
    method = FRAME_RATE_METHOD if payload.get("options", {}).get("back_projection") == 0 else METHOD
    extra = {"width": info.width, "height": info.height, "fps": round(info.fps, 3)}
    return JobOutput(files=[ctx.store(out)], extra={**extra, "method": method})


def run_multi_shot(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.media.image import load_image
    from kinema.platform.generation import check_video
    from kinema.platform.moderation import check_prompt
    from kinema.video.storyboard import Shot, Storyboard, render_storyboard

    for shot in payload["shots"]:
        check_prompt(shot["prompt"], ctx.settings)
    first = None
    if key := payload.get("inputs", {}).get("first_frame"):
        first = load_image(ctx.input_bytes(key), field="firstFrame.uri")
    shots = [
        Shot(
            prompt=s["prompt"],
            duration=float(s["duration"]),
            transition="cut" if i == 0 else "crossfade",
            transition_duration=0.4,
            first_frame=first if i == 0 else None,
        )
        for i, s in enumerate(payload["shots"])
    ]
    sb = Storyboard(
        shots=shots,
        width=int(payload["width"]),
        height=int(payload["height"]),
        fps=24,
        seed=int(payload.get("seed", 0)),
        preset=payload.get("preset", "fast"),
    )
    result = render_storyboard(sb, ctx.out_dir, ctx.progress, ctx.should_cancel)
    path = Path(result.files[0])
    check_video(path, sb.width, sb.height, sb.fps, sb.duration)
    extra: dict[str, Any] = {
        "shots": [{"prompt": s.prompt, "duration": s.duration} for s in shots],
        "promptUnderstood": list(result.understood),
        "promptIgnored": list(result.ignored),
    }
    return JobOutput(files=[ctx.store(path)], extra=extra)
