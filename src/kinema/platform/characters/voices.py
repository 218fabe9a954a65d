"""Voices: Runway's live preset ids and custom voices (designed from words or matched to a
sample). Honest naming: a custom voice is an espeak preset picked and tuned to a description
or to a sample's pitch, pace and brightness — *voice matching*, never cloning. An audio sample
is only accepted with the speaker's recorded consent.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.errors import InvalidInput, NotFound, UnknownVoice
from kinema.media.audio import decode_audio
from kinema.platform.characters.models import Voice
from kinema.platform.models import new_id
from kinema.platform.storage import get_storage
from kinema.voice.design import design_from_description, match_from_sample
from kinema.voice.presets import VoiceSpec, sample_text
from kinema.voice.runway_presets import LIVE_PRESETS, TTS_PRESETS, RunwayVoice
from kinema.voice.tts import get_tts

MIN_PROMPT = 20
MAX_SAMPLE_SECONDS = 300


def live_preset(preset_id: str, field: str = "voice.presetId") -> RunwayVoice:
    """One of Runway's 30 live preset ids, or a 400 that lists them all."""
    voice = LIVE_PRESETS.get(preset_id)
    if voice is None:
        raise UnknownVoice(
            f"Invalid parameter '{field}': unknown voice preset {preset_id!r}. Valid presets: "
            + ", ".join(LIVE_PRESETS)
            + ".",
            field=field,
        )
    return voice


def any_preset(preset_id: str, field: str = "voice.presetId") -> RunwayVoice:
    """A live preset id or one of the capitalised text-to-speech preset ids."""
    return (
        LIVE_PRESETS.get(preset_id) or TTS_PRESETS.get(preset_id) or live_preset(preset_id, field)
    )


def check_prompt(prompt: str) -> str:
    prompt = (prompt or "").strip()
    if len(prompt) < MIN_PROMPT:
        raise InvalidInput(
            f"Invalid parameter 'from.prompt': describe the voice in at least {MIN_PROMPT} "
            "characters, e.g. 'deep, slow, older man, British'.",
            field="from.prompt",
        )
    return prompt


def check_consent(consent: dict[str, Any] | None) -> dict[str, Any]:
    """The Kinema extension ``consent: {confirmed: true, statement, by}`` for audio samples."""
    if not consent or consent.get("confirmed") is not True:
        raise InvalidInput(
            "Invalid parameter 'consent': a voice sample needs the speaker's consent; send "
            "consent: {confirmed: true, statement: '<what the speaker agreed to>', by: '<name>'}.",
            field="consent",
        )
    statement, by = str(consent.get("statement") or "").strip(), str(consent.get("by") or "")
    if not statement or not by.strip():
        raise InvalidInput(
            "Invalid parameter 'consent': 'statement' and 'by' are required.", field="consent"
        )
    return {"confirmed": True, "statement": statement, "by": by.strip()}


def prosody(emotion: str | None):
    """Voice settings that match a face emotion (``neutral`` when the voice has no such one)."""
    from kinema.voice.presets import EMOTIONS
    from kinema.voice.tts.base import VoiceSettings

    return VoiceSettings(emotion=emotion if emotion in EMOTIONS else "neutral")


def synth_preview(spec: VoiceSpec, key: str, settings: Settings) -> tuple[str, float]:
    """Speak the language's sample sentence in ``spec``; store it as WAV; (key, seconds)."""
    speech = get_tts(settings.tts).synthesize(sample_text(spec.language), spec)
    get_storage(settings).put_bytes(key, speech.audio.to_wav())
    return key, speech.audio.duration


def create_from_text(
    session: Session,
    org_id: str,
    name: str,
    description: str | None,
    prompt: str,
    settings: Settings,
) -> Voice:
    prompt = check_prompt(prompt)
    spec = design_from_description(prompt, name=name)
    voice = Voice(
        id=new_id(),
        org_id=org_id,
        name=name,
        description=description,
        status="READY",
        source="text",
        spec=asdict(spec),
        details={"prompt": prompt, "basedOn": spec.espeak_name},
    )
    voice.preview_key, _ = synth_preview(spec, f"voices/{voice.id}/preview.wav", settings)
    session.add(voice)
    session.flush()
    return voice


def create_from_audio(
    session: Session,
    org_id: str,
    name: str,
    description: str | None,
    audio_bytes: bytes,
    consent: dict[str, Any] | None,
    settings: Settings,
    language: str | None = "en",
) -> Voice:
    consent = check_consent(consent)
    audio = decode_audio(audio_bytes, field="from.audio", max_seconds=MAX_SAMPLE_SECONDS + 1)
    if audio.duration > MAX_SAMPLE_SECONDS:
        raise InvalidInput(
            f"Invalid parameter 'from.audio': at most {MAX_SAMPLE_SECONDS} s of speech.",
            field="from.audio",
        )
    spec, stats = match_from_sample(audio, language, name=name)
    voice = Voice(
        id=new_id(),
        org_id=org_id,
        name=name,
        description=description,
        status="READY",
        source="audio",
        spec=asdict(spec),
        details={
            "consent": consent,
            "measured": asdict(stats),
            "basedOn": spec.espeak_name,
            "method": "voice matching (preset tuned to pitch, pace, brightness)",
        },
    )
    voice.preview_key, _ = synth_preview(spec, f"voices/{voice.id}/preview.wav", settings)
    session.add(voice)
    session.flush()
    return voice


def get(session: Session, org_id: str, voice_id: str, *, include_deleted: bool = False) -> Voice:
    voice = session.get(Voice, voice_id)
    if voice is None or voice.org_id != org_id or (voice.deleted and not include_deleted):
        raise NotFound("Voice not found.")
    return voice


def custom_spec(session: Session, org_id: str, voice_id: str, field: str = "voice.id") -> VoiceSpec:
    voice = session.get(Voice, voice_id)
    if voice is None or voice.org_id != org_id or voice.deleted:
        raise InvalidInput(
            f"Invalid parameter '{field}': no custom voice {voice_id!r}.", field=field
        )
    if voice.status != "READY":
        raise InvalidInput(
            f"Invalid parameter '{field}': voice {voice_id!r} is not ready.", field=field
        )
    return VoiceSpec.from_json(voice.spec)


def spec_for(session: Session, org_id: str, voice: dict[str, Any]) -> VoiceSpec:
    """The ``VoiceSpec`` an avatar's stored voice config speaks with (deleted custom voices
    keep speaking with their last spec, as Runway keeps the avatar usable)."""
    if voice.get("type") == "custom":
        row = session.get(Voice, voice.get("id"))
        if row is not None and row.org_id == org_id:
            return VoiceSpec.from_json(row.spec)
        return LIVE_PRESETS["emma"].spec()
    return any_preset(voice.get("presetId", "")).spec()
