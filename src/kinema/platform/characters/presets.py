"""Preset characters: Runway's nine ``presetId`` values, each a distinct character of its own.

Two are photographs the project may ship (both come with scikit-image, which is a dependency):
astronaut Eileen Collins (NASA, public domain) is *Nova* and Chelsea the cat (CC0) is
*Whiskers*. The other seven are cartoons drawn by ``preset_art`` at run time, so no image file
of unknown origin is involved. Each has its own name, personality template, description and
live voice. The photo of a person is the detector's job; the cat and the drawings carry their
manual keypoints, as any user's animal or drawing would.

Presets are public, read-only characters: every organization may use them in realtime
sessions, publishable keys and ``/v1/avatar_videos``, or *adopt* one into its own avatars
(``adopt``) to change its portrait, voice, personality or documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from kinema.errors import InvalidInput
from kinema.platform.characters.preset_art import Look, draw


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    template: str  # a kinema.brain.persona template key
    description: str
    voice: str  # a Runway live voice preset id
    art: str  # "photo" | "drawing"
    credit: str
    look: Look | None = None  # drawings
    photo: str | None = None  # skimage.data function name (photos)
    points: dict[str, list[float]] | None = None  # manual keypoints (None: the detector's)

    def portrait(self) -> np.ndarray:
        return _portrait(self.id)

    def keypoints(self) -> dict[str, list[float]] | None:
        if self.look is not None:
            return draw(self.look)[1]
        return self.points

    def rig_bytes(self) -> bytes:
        return _rig_bytes(self.id)

    def rig(self) -> Any:
        return _rig(self.id)

    def png(self) -> bytes:
        return _png(self.id)

    def personality(self) -> str:
        """The personality text an adopted copy starts with (template prompt + description)."""
        from kinema.brain.persona import TEMPLATES

        return f"{TEMPLATES[self.template].prompt}\n\n{self.description}"


_DRAWN = "Drawn by Kinema's own code (no source image); free to use."
PRESETS: dict[str, Preset] = {
    p.id: p
    for p in (
        Preset(
            "game-character", "Nova", "game_npc",
            "A brave space explorer who has piloted shuttles and loves talking about the stars.",
            "petra", "photo",
            "Astronaut Eileen Collins, NASA photograph, public domain (shipped with "
            "scikit-image as data.astronaut); Nova is a fictional character.",
            photo="astronaut",
        ),
        Preset(
            "cat-character", "Whiskers", "humorous_companion",
            "A witty talking cat with opinions about naps, boxes and breakfast.",
            "mia", "photo",
            "Chelsea the cat, photograph by Stéfan van der Walt, CC0 (shipped with "
            "scikit-image as data.chelsea).",
            photo="chelsea",
            points={
                "left_eye": [170, 112], "right_eye": [320, 135], "nose_tip": [262, 240],
                "mouth_left": [238, 270], "mouth_right": [284, 272], "upper_lip": [261, 264],
                "lower_lip": [260, 280], "chin": [258, 297],
            },
        ),
        Preset(
            "cooking-teacher", "Chef Emma", "tutor",
            "A cheerful cooking teacher who explains recipes step by step.", "emma", "drawing",
            _DRAWN,
            look=Look("#f1c7a6", "#6b3e26", "#ffffff", ("#fae2c8", "#ec9678"), hat="chef",
                      lips="#c8505a"),
        ),
        Preset(
            "tennis-coach", "Coach Max", "tutor",
            "A patient tennis coach who breaks every stroke into small drills.", "max", "drawing",
            _DRAWN,
            look=Look("#c98d62", "#1e1a18", "#2f9e63", ("#c6ebfa", "#78bee6"), hat="headband"),
        ),
        Preset(
            "game-character-man", "Rex", "game_npc",
            "A gruff veteran pilot with a soft spot for rookies.", "roman", "drawing", _DRAWN,
            look=Look("#e2b48f", "#8a8f99", "#3b4252", ("#2c324a", "#121422"), eyes="#2d6ea3",
                      hat="cap", moustache=True),
        ),
        Preset(
            "music-superstar", "Stella", "humorous_companion",
            "A famous pop singer, warm with fans and full of tour stories.", "summer", "drawing",
            _DRAWN,
            look=Look("#8d5a3b", "#121015", "#a1337a", ("#3c145a", "#e65a96"),
                      hair_style="curly", lips="#7a2240", earrings="#f0c419"),
        ),
        Preset(
            "influencer", "Skye", "friendly_assistant",
            "An upbeat lifestyle creator who shares tips on travel and daily routines.", "skye",
            "drawing", _DRAWN,
            look=Look("#f3d2b8", "#e8b04a", "#ff7aa8", ("#fff0dc", "#ffbec8"),
                      hair_style="long", lips="#e05a7a"),
        ),
        Preset(
            "human-resource", "Morgan", "support_agent",
            "A helpful HR partner who answers questions about leave, benefits and onboarding.",
            "morgan", "drawing", _DRAWN,
            look=Look("#b57a55", "#2b2422", "#3a5f8f", ("#e4e8f0", "#bec8dc"), hair_style="bun",
                      glasses=True, lips="#9c4a4a"),
        ),
        Preset(
            "fashion-designer", "Clara", "professional_advisor",
            "A fashion designer with a sharp eye for fabric, colour and fit.", "violet",
            "drawing", _DRAWN,
            look=Look("#f5dcc8", "#151515", "#101010", ("#f5f5f5", "#c8c8cd"),
                      hair_style="ponytail", lips="#b0203a", earrings="#d9d9d9"),
        ),
    )
}  # fmt: skip


def get(preset_id: str | None, field: str = "avatar.presetId") -> Preset:
    """The preset, or a 400 naming ``field`` and the ids there are."""
    preset = PRESETS.get(str(preset_id or ""))
    if preset is None:
        raise InvalidInput(
            f"Invalid parameter '{field}': unknown preset {preset_id!r}; use one of "
            f"{', '.join(PRESETS)}.",
            field=field,
        )
    return preset


def is_preset(avatar_id: str | None) -> bool:
    return bool(avatar_id) and avatar_id in PRESETS


@lru_cache(maxsize=len(PRESETS))
def _portrait(preset_id: str) -> np.ndarray:
    p = PRESETS[preset_id]
    if p.look is not None:
        return draw(p.look)[0]
    from skimage import data

    assert p.photo is not None
    return np.ascontiguousarray(getattr(data, p.photo)())


def analysis(preset_id: str) -> Any:
    from kinema.face.analyze import ManualPoints, analyze

    p = PRESETS[preset_id]
    points = p.keypoints()
    return analyze(p.portrait(), ManualPoints.model_validate(points) if points else None)


@lru_cache(maxsize=len(PRESETS))
def _rig(preset_id: str) -> Any:
    from kinema.face.rig import Rig

    return Rig.build(None, analysis(preset_id))


@lru_cache(maxsize=len(PRESETS))
def _rig_bytes(preset_id: str) -> bytes:
    return bytes(_rig(preset_id).to_bytes())


@lru_cache(maxsize=len(PRESETS))
def _png(preset_id: str) -> bytes:
    from kinema.media.image import encode_image

    return encode_image(_portrait(preset_id))


def to_json(p: Preset, image_url: str) -> dict[str, Any]:
    """The Studio's view of a preset (``GET /v1/studio/presets``)."""
    from kinema.brain.persona import TEMPLATES
    from kinema.voice.runway_presets import LIVE_PRESETS

    voice = LIVE_PRESETS[p.voice]
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "template": p.template,
        "templateTitle": TEMPLATES[p.template].title,
        "voice": {"type": "runway-live-preset", "presetId": voice.id, "name": voice.name},
        "art": p.art,
        "credit": p.credit,
        "imageUrl": image_url,
    }


def adopt(session: Any, org_id: str, preset_id: str, settings: Any, **kwargs: Any) -> Any:
    """A copy of the preset as the organization's own avatar (queued for its rig build)."""
    import json

    from kinema.platform.characters import avatars

    p = get(preset_id, "presetId")
    points = p.keypoints()
    return avatars.create(
        session,
        org_id,
        settings,
        name=p.name,
        personality=p.personality(),
        image=p.png(),
        voice={"type": "runway-live-preset", "presetId": p.voice},
        keypoints=json.loads(json.dumps(points)) if points else None,
        **kwargs,
    )
