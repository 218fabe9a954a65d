"""Voice design from a description, and voice matching from a sample.

Neither clones a voice: both pick the closest catalogue preset and tune its pitch and pace,
returning a ``VoiceSpec`` that any ``synthesize`` call accepts in place of a preset name.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache

import numpy as np

from kinema.errors import InvalidInput
from kinema.media.audio import Audio
from kinema.voice.analysis import VoiceStats, voice_stats
from kinema.voice.presets import (
    PRESETS,
    VoicePreset,
    VoiceSpec,
    pitch_for_ratio,
    pitch_ratio,
    sample_text,
)

# words → BCP-47 language of the preset wanted (accents are read as "speaks like")
_LANGUAGE_WORDS = {
    "british": "en-GB", "english": "en-GB", "uk": "en-GB", "london": "en-GB",
    "scottish": "en-GB-scotland", "scots": "en-GB-scotland",
    "american": "en-US", "us": "en-US", "usa": "en-US",
    "german": "de-DE", "french": "fr-FR", "spanish": "es-ES", "castilian": "es-ES",
    "mexican": "es-419", "latin": "es-419", "latino": "es-419", "latina": "es-419",
    "italian": "it-IT", "portuguese": "pt-PT", "brazilian": "pt-BR", "dutch": "nl-NL",
    "russian": "ru-RU", "polish": "pl-PL", "swedish": "sv-SE", "hindi": "hi-IN",
    "indian": "hi-IN", "turkish": "tr-TR", "chinese": "zh-CN", "mandarin": "zh-CN",
    "japanese": "ja-JP", "korean": "ko-KR", "arabic": "ar", "arab": "ar",
    "indonesian": "id-ID", "vietnamese": "vi-VN", "ukrainian": "uk-UA", "greek": "el-GR",
    "finnish": "fi-FI", "czech": "cs-CZ", "danish": "da-DK", "norwegian": "nb-NO",
    "hungarian": "hu-HU", "romanian": "ro-RO",
}  # fmt: skip
_MALE = {"man", "male", "men", "boy", "guy", "gentleman", "he", "him", "his", "father", "dad",
         "grandfather", "grandpa", "masculine", "mr", "sir", "king", "wizard"}  # fmt: skip
_FEMALE = {"woman", "female", "women", "girl", "lady", "she", "her", "mother", "mom", "mum",
           "grandmother", "grandma", "feminine", "mrs", "ms", "queen", "witch"}  # fmt: skip
_AGE_WORDS = {
    "child": "child", "kid": "child", "little": "child", "boy": "child", "girl": "child",
    "young": "young", "youthful": "young", "teen": "young", "teenage": "young",
    "teenager": "young", "student": "young",
    "adult": "adult", "middle-aged": "adult", "mature": "adult",
    "old": "senior", "older": "senior", "elderly": "senior", "senior": "senior",
    "aged": "senior", "grandfather": "senior", "grandmother": "senior", "grandpa": "senior",
    "grandma": "senior", "ancient": "senior", "wise": "senior",
}  # fmt: skip
_AGES = ("child", "young", "adult", "senior")
MAX_SAMPLE_SECONDS = 60  # matching reads at most this much of a sample
_LOW = {"deep", "low", "bass", "baritone", "booming", "gravelly", "husky", "dark"}
_HIGH = {"high", "high-pitched", "squeaky", "bright", "light", "shrill", "soprano"}
_SLOW = {"slow", "slowly", "measured", "unhurried", "deliberate", "calm", "relaxed", "drawl"}
_FAST = {"fast", "quick", "rapid", "energetic", "excited", "brisk", "lively", "hurried"}
_VERY = {"very", "really", "extremely", "super"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z-]*", text.lower())


def design_from_description(description: str, name: str = "custom") -> VoiceSpec:
    """Pick and tune a preset from free text, e.g. "deep, slow, older man, British".

    Language/accent, gender and age choose the preset (with timbre words as tie-breakers);
    pitch words (deep, high) and pace words (slow, fast) then tune it, "very" doubling the step.
    """
    words = _words(description)
    if not words:
        raise InvalidInput("description: describe the voice, e.g. 'warm older British woman'.")
    wset = set(words)
    language = next((_LANGUAGE_WORDS[w] for w in words if w in _LANGUAGE_WORDS), None)
    male, female = len(wset & _MALE), len(wset & _FEMALE)
    gender = "male" if male > female else "female" if female > male else None
    age = next((_AGE_WORDS[w] for w in words if w in _AGE_WORDS and w not in ("boy", "girl")), None)
    if age is None and wset & {"boy", "girl"}:
        age = "child"

    def score(p: VoicePreset) -> float:
        s = 0.0
        if language:
            s += 4 if p.language == language else 1.5 if p.language[:2] == language[:2] else 0
        else:
            s += 1 if p.language == "en-US" else 0
        if gender:
            s += 3 if p.gender == gender else 0
        if age:
            s += 2 - abs(_AGES.index(p.age) - _AGES.index(age)) * 0.8
        s += 0.5 * len(wset & set(p.timbre))
        return s

    preset = max(PRESETS.values(), key=score)
    spec = replace(preset.spec(), name=name)
    step = 2 if wset & _VERY else 1
    pitch = 1.0
    if wset & _LOW:
        pitch *= 0.9**step
    if wset & _HIGH:
        pitch *= 1.1**step
    rate = 1.0
    if wset & _SLOW:
        rate *= 0.88**step
    if wset & _FAST:
        rate *= 1.12**step
    return replace(
        spec,
        pitch=pitch_for_ratio(pitch_ratio(spec.pitch) * pitch),
        rate=int(round(min(450, max(80, spec.rate * rate)))),
    )


@lru_cache(maxsize=128)
def _preset_stats(preset_id: str) -> VoiceStats:
    """How a preset measures on its own sample sentence (synthesised once, then cached)."""
    from kinema.voice.tts.espeak import EspeakTTS

    preset = PRESETS[preset_id]
    speech = EspeakTTS().synthesize(sample_text(preset.language), preset_id)
    return voice_stats(speech.audio)


_CURVE_PITCHES = (10, 30, 50, 70, 90)


@lru_cache(maxsize=128)
def _pitch_curve(preset_id: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Measured F0 of a preset at several espeak pitch settings: variants differ in how far
    the pitch parameter moves them, so each chosen preset is calibrated on its own."""
    from kinema.voice.tts.espeak import EspeakTTS

    preset, tts = PRESETS[preset_id], EspeakTTS()
    f0s = []
    for p in _CURVE_PITCHES:
        spec = replace(preset.spec(), pitch=p)
        f0s.append(voice_stats(tts.synthesize(sample_text(preset.language), spec).audio).f0)
    return _CURVE_PITCHES, tuple(f0s)


def _pitch_for_f0(preset_id: str, f0: float) -> int:
    pitches, f0s = _pitch_curve(preset_id)
    logs = np.log(np.maximum.accumulate(np.maximum(f0s, 1.0)))  # monotonic for interpolation
    if logs[-1] <= logs[0]:
        return PRESETS[preset_id].pitch
    # extend the curve linearly to the parameter's ends before clamping
    slope_lo = (logs[1] - logs[0]) / (pitches[1] - pitches[0])
    slope_hi = (logs[-1] - logs[-2]) / (pitches[-1] - pitches[-2])
    xs = [0, *pitches, 100]
    ys = [logs[0] - slope_lo * pitches[0], *logs, logs[-1] + slope_hi * (100 - pitches[-1])]
    return int(round(float(np.interp(math.log(f0), ys, xs))))


def match_from_sample(
    audio: Audio, language: str | None = "en", name: str = "matched"
) -> tuple[VoiceSpec, VoiceStats]:
    """Voice matching: measure F0, speaking rate and brightness of ``audio`` and return the
    nearest preset (among ``language`` presets; ``None`` = all) tuned to that pitch and pace,
    plus the measurements. Gender is read from F0 (≥ 165 Hz: female)."""
    audio = Audio(audio.samples[: MAX_SAMPLE_SECONDS * audio.rate], audio.rate)
    stats = voice_stats(audio)
    if stats.f0 <= 0 or stats.speech_seconds < 0.5:
        raise InvalidInput("audio: no voiced speech found; send at least a second of speech.")
    candidates = [
        p
        for p in PRESETS.values()
        if language is None or p.language.lower().startswith(language.lower())
    ] or list(PRESETS.values())
    gender = "female" if stats.f0 >= 165 else "male"

    def distance(p: VoicePreset) -> float:
        ref = _preset_stats(p.id)
        semitones = abs(12 * math.log2(stats.f0 / ref.f0)) if ref.f0 > 0 else 24.0
        brightness = abs(math.log2(max(stats.centroid, 1) / max(ref.centroid, 1))) * 12
        pace = abs(math.log2(max(stats.syllable_rate, 0.1) / max(ref.syllable_rate, 0.1))) * 6
        return semitones + brightness + pace + (0 if p.gender == gender else 12)

    preset = min(candidates, key=distance)
    ref = _preset_stats(preset.id)
    spec = preset.spec()
    rate = spec.rate * (stats.syllable_rate / ref.syllable_rate if ref.syllable_rate else 1.0)
    tuned = replace(
        spec,
        name=name,
        pitch=_pitch_for_f0(preset.id, stats.f0),
        rate=int(round(min(450, max(80, rate)))),
    )
    return tuned, stats
