"""``POST /v1/text_to_speech``, ``/v1/speech_to_speech``, ``/v1/voice_isolation`` and
``/v1/voice_dubbing`` with the embedded voice engines.

- text_to_speech: the configured TTS speaks ``promptText`` in the Runway preset's Kinema voice
  (``eleven_*``), or in a voice matched to a reference clip (``seed_audio``).
- speech_to_speech: the input is transcribed (ASR) and re-spoken in the preset voice; the
  words are kept, the timing and delivery are the TTS's own.
- voice_isolation: spectral gating (steady noise removed; not music/voice separation).
- voice_dubbing: only into the language it is already in (``targetLang: "en"``, the ASR's
  language): transcribed and re-spoken in a voice matched to the speaker. Other target
  languages need a translation model, which this server does not have: a 400 says so.

Outputs are WAV files (``seed_audio`` may ask for mp3 or ogg_opus).
"""

from __future__ import annotations

import math
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from kinema.api.deps import current_org, get_app_settings, require_version
from kinema.api.runway_v1.extra import (
    audio_price,
    audio_seconds,
    check_choice,
    check_model,
    check_range,
    created,
    media_input,
    text_price,
)
from kinema.api.runway_v1.schemas import Wire
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.platform.accounts import Caller
from kinema.platform.submit import submit_task

router = APIRouter(prefix="/v1", tags=["audio"], dependencies=[Depends(require_version)])

TTS_MODELS = ("eleven_multilingual_v2", "eleven_v3", "eleven_v4", "seed_audio")
DUBBING_LANGS = (  # noqa: SIM905
    "en hi pt zh es fr de ja ar ru ko id it nl tr pl sv fil ms ro uk el cs da fi bg hr sk ta"
).split()  # fmt: skip
SAMPLE_RATES = (8000, 16000, 24000, 32000, 44100, 48000)
MAX_SPEECH_SECONDS = 300.0  # speech_to_speech / dubbing inputs (ASR runs on CPU)


class TextToSpeechIn(Wire):
    model: str | None = None
    prompt_text: str | None = Field(default=None, min_length=1, max_length=5000)
    voice: dict[str, Any] | None = None
    language_code: str | None = None
    speed: float | None = None
    seed: int | None = Field(default=None, ge=0, le=4294967295)
    stability: float | None = None
    similarity_boost: float | None = None
    style: float | None = None
    use_speaker_boost: bool | None = None
    apply_text_normalization: Literal["auto", "on", "off"] | None = None
    previous_text: str | None = None
    next_text: str | None = None
    # seed_audio
    output_format: str | None = None
    sample_rate: int | None = None
    speech_rate: int | None = None
    pitch_rate: int | None = None
    loudness_rate: int | None = None


class MediaIn(Wire):
    type: Literal["audio", "video"]
    uri: str


class SpeechToSpeechIn(Wire):
    model: str | None = None
    media: MediaIn | None = None
    voice: dict[str, Any] | None = None
    remove_background_noise: bool | None = None


class VoiceIsolationIn(Wire):
    model: str | None = None
    audio_uri: str | None = None


class VoiceDubbingIn(Wire):
    model: str | None = None
    audio_uri: str | None = None
    target_lang: str | None = None
    disable_voice_cloning: bool | None = None
    drop_background_audio: bool | None = None
    num_speakers: int | None = None


def preset_voice(voice: dict[str, Any] | None, language: str | None = None) -> str:
    """A ``{"type": "runway-preset", "presetId": ...}`` voice as VoiceSpec JSON."""
    from dataclasses import replace

    from kinema.voice.presets import PRESETS
    from kinema.voice.runway_presets import LIVE_PRESETS, TTS_PRESETS, runway_voice

    if not voice:
        raise InvalidInput("Invalid parameter 'voice': required.", field="voice")
    if voice.get("type") != "runway-preset":
        raise InvalidInput(
            "Invalid parameter 'voice.type': expected 'runway-preset'.", field="voice.type"
        )
    preset_id = voice.get("presetId")
    if not isinstance(preset_id, str):
        raise InvalidInput("Invalid parameter 'voice.presetId': required.", field="voice.presetId")
    if preset_id not in TTS_PRESETS and preset_id not in LIVE_PRESETS:
        raise InvalidInput(
            f"Invalid parameter 'voice.presetId': unknown preset {preset_id!r}; use one of "
            f"{', '.join(list(TTS_PRESETS)[:8])} … ({len(TTS_PRESETS)} in all).",
            field="voice.presetId",
        )
    spec = runway_voice(preset_id).spec()
    if language and not spec.language.lower().startswith(language.split("-")[0].lower()):
        lang = language.split("-")[0].lower()
        same = [p for p in PRESETS.values() if p.language.lower().split("-")[0] == lang]
        if not same:
            raise InvalidInput(
                f"Invalid parameter 'languageCode': no voice speaks {language!r} on this "
                "server (see `kinema voices`).",
                field="languageCode",
            )
        gendered = [p for p in same if p.gender == spec.gender] or same
        base = gendered[0].spec()
        spec = replace(base, name=spec.name, pitch=spec.pitch, rate=base.rate)
    return spec.to_json()


@router.post("/text_to_speech")
def text_to_speech(
    body: TextToSpeechIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Speak ``promptText`` (WAV; ``seed_audio`` may ask for mp3/ogg_opus)."""
    model = check_model("text_to_speech", body.model, TTS_MODELS, settings)
    text = (body.prompt_text or "").strip()
    if not text:
        raise InvalidInput("Invalid parameter 'promptText': required.", field="promptText")
    if model == "eleven_multilingual_v2" and len(text) > 1000:
        raise InvalidInput(
            "Invalid parameter 'promptText': at most 1000 characters for eleven_multilingual_v2.",
            field="promptText",
        )
    payload: dict[str, Any] = {"mode": "tts", "text": text}
    inputs: dict[str, bytes] = {}
    if model == "seed_audio":
        check_choice(body.output_format, "outputFormat", ("wav", "mp3", "ogg_opus"))
        check_choice(body.sample_rate, "sampleRate", SAMPLE_RATES)
        check_range(body.speech_rate, "speechRate", -50, 100)
        check_range(body.pitch_rate, "pitchRate", -12, 12)
        check_range(body.loudness_rate, "loudnessRate", -50, 100)
        payload.update(
            format=body.output_format or "wav",
            sample_rate=body.sample_rate or 0,
            speed=1.0 + (body.speech_rate or 0) / 100,
            pitch_semitones=body.pitch_rate or 0,
            gain_db=20 * math.log10(1 + (body.loudness_rate or 0) / 100 + 1e-9),
        )
        if body.voice:
            if body.voice.get("type") != "reference-audio":
                raise InvalidInput(
                    "Invalid parameter 'voice.type': expected 'reference-audio'.",
                    field="voice.type",
                )
            data = media_input(
                body.voice.get("audioUri"), "audio", "voice.audioUri", caller, settings
            )
            audio_seconds(data, "voice.audioUri", low=0.5, high=300)
            inputs["reference"] = data
            payload["reference"] = True
    else:
        if model == "eleven_v3":
            check_range(body.speed, "speed", 0.7, 1.2)
        else:
            check_range(body.speed, "speed", 0.5, 2.0)
        for name, value in (
            ("stability", body.stability),
            ("similarityBoost", body.similarity_boost),
            ("style", body.style),
        ):
            check_range(value, name, 0, 1)
        payload.update(
            voice=preset_voice(body.voice, body.language_code),
            speed=body.speed or 1.0,
            format="wav",
        )
    cost = text_price(model, text, settings)
    task = submit_task(
        settings, caller, kind="speech", model=model, payload=payload, cost=cost, inputs=inputs
    )
    return created(task, request)


@router.post("/speech_to_speech")
def speech_to_speech(
    body: SpeechToSpeechIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Re-speak the words of an audio/video file in a preset voice (ASR → TTS)."""
    model = check_model("speech_to_speech", body.model, ("eleven_multilingual_sts_v2",), settings)
    if body.media is None:
        raise InvalidInput("Invalid parameter 'media': required.", field="media")
    voice = preset_voice(body.voice)
    kind: Literal["video", "audio"] = "video" if body.media.type == "video" else "audio"
    data = media_input(body.media.uri, kind, "media.uri", caller, settings)
    seconds = audio_seconds(data, "media.uri", low=0.3, high=MAX_SPEECH_SECONDS)
    payload = {
        "mode": "sts",
        "voice": voice,
        "denoise": bool(body.remove_background_noise),
        "field": "media.uri",
        "format": "wav",
    }
    cost = audio_price(model, seconds, settings)
    task = submit_task(
        settings,
        caller,
        kind="speech",
        model=model,
        payload=payload,
        cost=cost,
        inputs={"audio": data},
    )
    return created(task, request)


@router.post("/voice_isolation")
def voice_isolation(
    body: VoiceIsolationIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Remove steady background noise from speech (spectral gating; WAV out)."""
    model = check_model("voice_isolation", body.model, ("eleven_voice_isolation",), settings)
    data = media_input(body.audio_uri, "audio", "audioUri", caller, settings)
    seconds = audio_seconds(data, "audioUri", low=4.6, high=3600)
    cost = audio_price(model, seconds, settings)
    task = submit_task(
        settings,
        caller,
        kind="voice_isolation",
        model=model,
        payload={},
        cost=cost,
        inputs={"audio": data},
    )
    return created(task, request)


@router.post("/voice_dubbing")
def voice_dubbing(
    body: VoiceDubbingIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Re-voice English speech in English (no translation model: other languages are a 400)."""
    model = check_model("voice_dubbing", body.model, ("eleven_voice_dubbing",), settings)
    if not body.target_lang:
        raise InvalidInput("Invalid parameter 'targetLang': required.", field="targetLang")
    check_choice(body.target_lang, "targetLang", tuple(DUBBING_LANGS))
    if body.target_lang != "en":
        raise InvalidInput(
            f"Invalid parameter 'targetLang': dubbing into {body.target_lang!r} needs a "
            "translation model, which this server does not offer. It dubs English speech into "
            "English only (targetLang 'en': the words re-spoken in a matched or generic voice); "
            "for other languages translate the script yourself and use /v1/text_to_speech.",
            field="targetLang",
        )
    if body.num_speakers is not None and body.num_speakers != 1:
        raise InvalidInput(
            "Invalid parameter 'numSpeakers': this server re-voices a single speaker; "
            "send 1 or leave it out.",
            field="numSpeakers",
        )
    data = media_input(body.audio_uri, "audio", "audioUri", caller, settings)
    seconds = audio_seconds(data, "audioUri", low=0.3, high=MAX_SPEECH_SECONDS)
    from kinema.voice.presets import DEFAULT_VOICE, PRESETS

    payload = {
        "mode": "dub",
        "voice": PRESETS[DEFAULT_VOICE].spec().to_json(),
        "match_voice": not body.disable_voice_cloning,
        "keep_background": not body.drop_background_audio,
        "denoise": True,
        "field": "audioUri",
        "format": "wav",
    }
    cost = audio_price(model, seconds, settings)
    task = submit_task(
        settings,
        caller,
        kind="speech",
        model=model,
        payload=payload,
        cost=cost,
        inputs={"audio": data},
    )
    return created(task, request)
