"""Runway's voice preset ids → Kinema voices, so Runway clients can name voices they know.

``LIVE_PRESETS``: the 30 ``runway-live-preset`` ids of avatars (``POST /v1/avatars``); each has
the ``name``/``description`` the Avatar object returns and a Kinema preset plus pitch/speed
tweaks so voices sharing a preset still sound apart. ``TTS_PRESETS``: the capitalised
``runway-preset`` ids of ``/v1/text_to_speech`` and avatar videos, mapped by gender and age.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kinema.errors import UnknownVoice
from kinema.voice.presets import PRESETS, VoiceSpec, apply_prosody


@dataclass(frozen=True)
class RunwayVoice:
    id: str
    name: str
    description: str
    preset: str  # Kinema preset id
    pitch: float = 1.0
    speed: float = 1.0

    def spec(self) -> VoiceSpec:
        base = PRESETS[self.preset].spec()
        tuned = apply_prosody(base, speed=self.speed, pitch=self.pitch)
        return replace(tuned, name=self.id)


# id | name | Kinema preset | pitch × | speed × | description (as the Avatar object shows it)
_LIVE = """
victoria | Victoria | charlotte | 0.97 | 0.95 | Poised, articulate British woman; composed.
vincent  | Vincent  | leo       | 1.00 | 0.95 | Deep, warm man with a calm, reassuring delivery.
clara    | Clara    | emma      | 1.04 | 1.00 | Clear, friendly woman; bright and approachable.
drew     | Drew     | max       | 0.95 | 0.95 | Relaxed, casual young man.
skye     | Skye     | poppy     | 1.05 | 1.05 | Bright, upbeat young woman.
max      | Max      | max       | 1.00 | 1.05 | Energetic, enthusiastic young man.
morgan   | Morgan   | grace     | 0.80 | 0.95 | Even, gender-neutral voice; calm and measured.
felix    | Felix    | oliver    | 1.08 | 1.05 | Cheerful British man with a light touch.
mia      | Mia      | poppy     | 0.97 | 0.95 | Soft, youthful woman; gentle and warm.
marcus   | Marcus   | james     | 0.88 | 0.95 | Authoritative, deep man; confident and steady.
summer   | Summer   | emma      | 1.10 | 1.05 | Sunny, cheerful woman.
ruby     | Ruby     | poppy     | 1.00 | 1.00 | Lively British woman with energy.
aurora   | Aurora   | grace     | 1.03 | 0.88 | Airy, calm woman; soothing and unhurried.
jasper   | Jasper   | oliver    | 1.00 | 1.00 | Crisp, precise British man.
leo      | Leo      | leo       | 0.95 | 0.92 | Resonant narrator; rich and deliberate.
adrian   | Adrian   | james     | 1.00 | 1.00 | Smooth, polished man.
nina     | Nina     | grace     | 1.00 | 0.95 | Gentle, kind woman.
emma     | Emma     | emma      | 1.00 | 1.00 | Friendly, warm woman; a natural assistant.
blake    | Blake    | max       | 0.92 | 1.00 | Confident, bold young man.
david    | David    | james     | 0.95 | 0.95 | Mature, steady man.
maya     | Maya     | emma      | 0.96 | 1.00 | Warm, expressive woman.
nathan   | Nathan   | james     | 1.05 | 1.00 | Friendly, easy-going man.
sam      | Sam      | james     | 1.20 | 1.00 | Casual, neutral voice; friendly and plain.
georgia  | Georgia  | emma      | 0.93 | 0.88 | Warm, unhurried woman with a soft drawl.
petra    | Petra    | charlotte | 1.00 | 1.05 | Precise, cool woman; clear and direct.
adam     | Adam     | james     | 1.02 | 1.00 | Natural, everyday man.
zach     | Zach     | max       | 1.05 | 1.10 | Young, energetic man; quick and playful.
violet   | Violet   | charlotte | 1.05 | 0.92 | Elegant, soft-spoken woman.
roman    | Roman    | arthur    | 1.00 | 1.00 | Deep, older man; gravelly and measured.
luna     | Luna     | grace     | 1.08 | 0.88 | Dreamy, soft woman.
"""

# /v1/text_to_speech presets: id → (Kinema preset, pitch). Gender/age from the names'
# usual reading; "Grungle", "Monster", "Xylar" and "Ragnar" are character voices.
_TTS = {
    "Maya": ("emma", 1.0), "Arjun": ("arjun", 1.0), "Serene": ("grace", 1.0),
    "Bernard": ("arthur", 1.0), "Billy": ("max", 1.05), "Mark": ("james", 1.0),
    "Clint": ("leo", 0.95), "Mabel": ("ruth", 1.0), "Chad": ("max", 0.95),
    "Leslie": ("grace", 1.05), "Eleanor": ("charlotte", 0.95), "Elias": ("james", 0.95),
    "Elliot": ("oliver", 1.05), "Grungle": ("walter", 0.75), "Brodie": ("max", 1.0),
    "Sandra": ("grace", 0.95), "Kirk": ("james", 0.9), "Kylie": ("poppy", 1.05),
    "Lara": ("charlotte", 1.0), "Lisa": ("emma", 1.05), "Malachi": ("leo", 1.0),
    "Marlene": ("ruth", 1.05), "Martin": ("oliver", 0.95), "Miriam": ("ruth", 0.95),
    "Monster": ("walter", 0.7), "Paula": ("grace", 1.0), "Pip": ("lily", 1.05),
    "Rusty": ("walter", 1.0), "Ragnar": ("leo", 0.8), "Xylar": ("max", 1.3),
    "Maggie": ("ruth", 1.0), "Jack": ("james", 1.05), "Katie": ("poppy", 1.0),
    "Noah": ("james", 1.0), "James": ("james", 1.0), "Rina": ("emma", 1.08),
    "Ella": ("poppy", 0.98), "Mariah": ("emma", 0.95), "Frank": ("walter", 1.05),
    "Claudia": ("charlotte", 0.97), "Niki": ("lily", 0.95), "Vincent": ("leo", 1.0),
    "Kendrick": ("james", 0.92), "Myrna": ("ruth", 0.98), "Tom": ("oliver", 1.0),
    "Wanda": ("grace", 0.92), "Benjamin": ("arthur", 1.05), "Kiana": ("emma", 1.02),
    "Rachel": ("grace", 1.03),
}  # fmt: skip


def _parse() -> dict[str, RunwayVoice]:
    voices = {}
    for line in _LIVE.strip().splitlines():
        id_, name, preset, pitch, speed, desc = (c.strip() for c in line.split("|"))
        voices[id_] = RunwayVoice(id_, name, desc, preset, float(pitch), float(speed))
    return voices


LIVE_PRESETS: dict[str, RunwayVoice] = _parse()
TTS_PRESETS: dict[str, RunwayVoice] = {
    k: RunwayVoice(k, k, f"Runway preset {k} (Kinema voice {p}).", p, pitch)
    for k, (p, pitch) in _TTS.items()
}


def runway_voice(preset_id: str) -> RunwayVoice:
    """The Runway live or TTS preset ``preset_id``; ``UnknownVoice`` (400) if neither."""
    voice = LIVE_PRESETS.get(preset_id) or TTS_PRESETS.get(preset_id)
    if voice is None:
        raise UnknownVoice(
            f"voice.presetId: unknown preset {preset_id!r}; live presets are "
            f"{', '.join(list(LIVE_PRESETS)[:6])} … ({len(LIVE_PRESETS)} in all).",
            field="voice.presetId",
        )
    return voice
