"""Build a layered 2.5D scene from a request, once, before any frame is rendered.

The stage is a padded background plate (so camera moves never show an edge) plus subject
layers: the subject segmented out of the first frame, characters and objects segmented from
references, or procedural shapes for text-only prompts. Colour work (style transfer, lighting
look, depth of field, atmospheric haze) is baked into the layers here so the frame loop only
warps and blends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from kinema.errors import Cancelled, InvalidInput, InvalidMedia
from kinema.video import grade
from kinema.video.camera import CameraPath
from kinema.video.framing import frame_image
from kinema.video.keyframes import KeyMove, box_move, feature_move
from kinema.video.living import Living, animate, camera_yaw, soundtrack, speak
from kinema.video.particles import Overlay, build_overlays, depth_haze
from kinema.video.plan import POSITION_X, ScenePlan, parse_prompt, refusal, undrawable
from kinema.video.procedural import draw_stage
from kinema.video.request import CancelFn, GenerationRequest, Reference
from kinema.video.segment import (
    fill_background,
    find_subject,
    segment_cutout,
    subject_box,
)

PAD = 0.1  # plate margin on each side, as a fraction of the long side
SHOT_HEIGHT = {"close": 1.25, "medium": 0.8, "wide": 0.45, None: 0.72}  # subject height / H
SHOT_FEET = {"close": 1.45, "medium": 1.05, "wide": 0.93, None: 1.0}  # feet line / H


@dataclass
class Layer:
    rgb: np.ndarray  # h x w x 3 uint8, graded
    alpha: np.ndarray | None  # h x w float32 0..1; None = opaque
    x: float  # top-left in frame coordinates
    y: float
    depth: float  # 0 far plate .. 1 subject
    name: str
    animated: bool = False  # follows the subject action
    anchor: tuple[float, float] = (0.0, 0.0)  # feet, frame coordinates
    depth_bottom: float | None = None  # opaque plates: depth ramps to this at the frame bottom


@dataclass
class Scene:
    width: int  # the layers' (render) size; may be smaller than the output for speed
    height: int
    fps: int
    frames: int
    layers: list[Layer]  # back to front; layers[0] is the opaque plate
    overlays: list[Overlay]
    camera: CameraPath
    plan: ScenePlan
    first: np.ndarray | None = None  # keyframes fitted to the output frame
    last: np.ndarray | None = None
    info: dict = field(default_factory=dict)
    out_width: int = 0  # output size (0 = render size)
    out_height: int = 0
    livings: list[Living] = field(default_factory=list)  # animated faces in cut-outs
    audio: tuple[np.ndarray, int] | None = None  # (mono int16, rate): the spoken lines
    key_plate: KeyMove | None = None  # first -> last keyframe: how the camera moves
    key_subject: KeyMove | None = None  # ... and how the first frame's subject moves


def fit_cover(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """Scale and crop ``img`` to fill ``w x h`` (what a keyframe of another ratio does).
    Horizontal crops are centred; vertical crops keep the upper part (where faces are)."""
    ih, iw = img.shape[:2]
    s = max(w / iw, h / ih)
    nw, nh = max(w, round(iw * s)), max(h, round(ih * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    r = cv2.resize(img, (nw, nh), interpolation=interp)
    x0, y0 = (nw - w) // 2, round((nh - h) * 0.3)
    return np.ascontiguousarray(r[y0 : y0 + h, x0 : x0 + w])


def _check_image(img: np.ndarray, what: str) -> np.ndarray:
    if (
        not isinstance(img, np.ndarray)
        or img.ndim != 3
        or img.shape[2] < 3
        or min(img.shape[:2]) < 16
    ):
        shape = getattr(img, "shape", None)
        raise InvalidMedia(f"{what}: expected an RGB image of at least 16x16 pixels, got {shape}.")
    img = img[..., :3]
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


def _limit(img: np.ndarray, side: float) -> np.ndarray:
    """Shrink an oversized reference: a 12 MP photo only costs time beyond the frame size."""
    k = side / max(img.shape[:2])
    if k >= 1:
        return img
    size = (max(16, round(img.shape[1] * k)), max(16, round(img.shape[0] * k)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _pad_plate(img: np.ndarray, pad: int) -> np.ndarray:
    """Extend a plate by ``pad`` pixels: mirrored content, blurred more the further out."""
    big = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    blur = cv2.GaussianBlur(
        cv2.resize(big, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA), (0, 0), 3
    )
    blur = cv2.resize(blur, (big.shape[1], big.shape[0]), interpolation=cv2.INTER_LINEAR)
    h, w = img.shape[:2]
    yy = np.arange(big.shape[0], dtype=np.float32)
    xx = np.arange(big.shape[1], dtype=np.float32)
    dy = np.maximum(pad - yy, yy - (pad + h - 1)).clip(0) / max(pad, 1)
    dx = np.maximum(pad - xx, xx - (pad + w - 1)).clip(0) / max(pad, 1)
    m = np.clip(np.maximum(dy[:, None], dx[None, :]) * 2.5, 0, 1)[..., None]
    return (big * (1 - m) + blur * m).astype(np.uint8)


def _ground_layers(img: np.ndarray, pad: int) -> list[Layer]:
    """An image without a subject is one plate whose depth grows from the sky (far) to the
    bottom of the frame (near): the renderer shears it smoothly, so there is no seam."""
    return [Layer(_pad_plate(img, pad), None, -pad, -pad, 0.2, "plate", depth_bottom=0.8)]


def _crop_subject(img: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
    x, y, w, h = subject_box(alpha, 0.05)
    return img[y : y + h, x : x + w], alpha[y : y + h, x : x + w], (x, y, w, h)


def _place(
    rgb: np.ndarray, alpha: np.ndarray, height: float, cx: float, feet: float
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Scale a cut-out so it is ``height`` px tall, centred at ``cx`` with its base at ``feet``."""
    s = height / rgb.shape[0]
    nw, nh = max(2, round(rgb.shape[1] * s)), max(2, round(rgb.shape[0] * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    rgb = cv2.resize(rgb, (nw, nh), interpolation=interp)
    alpha = np.clip(cv2.resize(alpha, (nw, nh), interpolation=cv2.INTER_LINEAR), 0, 1)
    return rgb, alpha, cx - nw / 2, feet - nh


def _with_shadow(rgb: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extend a cut-out downwards with a soft dark ellipse under its base, so it stands on the
    ground instead of floating (the shadow moves with it)."""
    h, w = alpha.shape
    extra = max(4, round(h * 0.04))
    base = alpha[int(h * 0.9) :].sum(axis=0)
    cols = np.nonzero(base > base.max() * 0.2)[0] if base.max() > 0 else np.arange(w)
    cx, half = (cols[0] + cols[-1]) / 2, max(3.0, (cols[-1] - cols[0]) / 2 * 1.1)
    shadow = np.zeros((h + extra, w), np.float32)
    cv2.ellipse(shadow, (round(cx), h - 1), (round(half), extra), 0, 0, 360, 0.5, -1)
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(1.0, extra / 2))
    a = np.zeros((h + extra, w), np.float32)
    a[:h] = alpha
    out_a = a + shadow * (1 - a)
    out = np.zeros((h + extra, w, 3), np.float32)
    out[:h] = rgb
    out *= (a / np.maximum(out_a, 1e-4))[..., None]  # the shadow itself is black
    return np.clip(out + 0.5, 0, 255).astype(np.uint8), out_a


def _harmonise(
    rgb: np.ndarray, alpha: np.ndarray, target: grade.LabStats, strength: float
) -> np.ndarray:
    """Move a cut-out's colours toward the scene by ``1 - strength`` (strength 1 = untouched)."""
    amount = 1.0 - float(np.clip(strength, 0, 1))
    if amount <= 0.01:
        return rgb
    src = grade.lab_stats(rgb, alpha)
    # only the mean moves: the subject keeps its own contrast and detail
    tgt = grade.LabStats(target.mean, src.std)
    return grade.to_uint8(grade.transfer_lab(grade.to_float(rgb), src, tgt, amount))


def build_scene(
    req: GenerationRequest, scale: float = 1.0, should_cancel: CancelFn | None = None
) -> Scene:
    """Analyse inputs and build layers at ``scale`` x the output size (overlays and keyframes
    stay at output size, so particles and keyframe frames are sharp). ``should_cancel`` is
    polled between the analysis steps."""

    def check() -> None:
        if should_cancel is not None and should_cancel():
            raise Cancelled("generation cancelled")

    out_w, out_h, fps = int(req.width), int(req.height), int(req.fps)
    if out_w < 16 or out_h < 16 or out_w % 2 or out_h % 2:
        raise InvalidMedia(f"size: {out_w}x{out_h} must be even and at least 16 px a side.")
    scale = min(1.0, max(0.25, scale))
    w, h = (out_w, out_h) if scale >= 1.0 else (round(out_w * scale), round(out_h * scale))
    frames = max(1, round(req.duration * fps)) if req.kind == "video" else 1
    refs = [
        Reference(
            _limit(_check_image(r.image, f"reference @{r.tag or i}"), 1.5 * max(w, h)),
            r.tag,
            r.type,
            r.strength,
        )
        for i, r in enumerate(req.references)
    ]
    plan = parse_prompt(req.prompt, {r.tag for r in refs if r.tag})
    bound = {t.lower() for t in plan.tags}
    untagged = sum(
        1
        for r in refs
        if r.type in ("character", "object") and (not r.tag or r.tag.lower() not in bound)
    )
    missing = undrawable(
        plan,
        first_frame=req.first_frame is not None,
        location=any(r.type == "location" for r in refs),
        untagged_refs=untagged,
    )
    if missing:  # never an unrelated default scene in place of what was asked
        raise refusal(missing)
    pad = round(PAD * max(w, h))
    box = (pad, pad, w, h)
    info: dict = {"engine": "compositor", "preset": req.preset}

    first_out = last = None
    if req.first_frame is not None:  # never cut off a face: crop around it, or extend
        first_out, framing = frame_image(_check_image(req.first_frame, "first frame"), out_w, out_h)
        info["framing"] = framing.to_dict()
    check()
    if req.last_frame is not None:
        last, framing = frame_image(_check_image(req.last_frame, "last frame"), out_w, out_h)
        info["last_framing"] = framing.to_dict()
    first = first_out
    if first_out is not None and (w, h) != (out_w, out_h):
        first = cv2.resize(first_out, (w, h), interpolation=cv2.INTER_AREA)
    locations = [r for r in refs if r.type == "location"]
    characters = [r for r in refs if r.type == "character"]
    objects = [r for r in refs if r.type == "object"]
    styles = [r for r in refs if r.type == "style"]

    layers: list[Layer] = []
    # quality: location and procedural plates get a sky-to-ground depth ramp (a per-row remap,
    # ~2 ms a frame more); fast keeps them flat
    ramp = 0.65 if req.preset == "quality" else None
    check()
    alpha = find_subject(first, check) if first is not None else None
    check()
    clean = segment_cutout(first)[1] if alpha is not None and first is not None else None
    check()
    if first is not None and alpha is None:
        # no distinct subject (a landscape, a room): the lower frame is nearer than the top
        layers = _ground_layers(first, pad)
        info["base"] = "first_frame (no subject: ground/sky parallax)"
    elif first is not None and alpha is not None:
        plate_img = fill_background(first, alpha)
        plate = _pad_plate(plate_img, pad)
        crop, a, (sx, sy, sw, sh) = _crop_subject(clean if clean is not None else first, alpha)
        subject = Layer(crop.copy(), a.copy(), sx, sy, 1.0, "subject", True, (sx + sw / 2, sy + sh))
        info["base"] = "first_frame"
        info["subject_box"] = [sx, sy, sw, sh]
        layers = [Layer(plate, None, -pad, -pad, 0.25, "plate"), subject]
    elif locations:
        loc = locations[0]
        plate = _pad_plate(fit_cover(loc.image, w, h), pad)
        layers = [Layer(plate, None, -pad, -pad, 0.25, "plate", depth_bottom=ramp)]
        info["base"] = f"location @{loc.tag}" if loc.tag else "location"
    else:
        # "a woman" beside a character reference is that character, not a second, drawn figure
        drawn = [o for o in plan.objects if not (characters and o[0] == "person")]
        stage, sprites = draw_stage(
            w + 2 * pad,
            h + 2 * pad,
            drawn,
            plan.light,
            req.seed,
            box,
            POSITION_X.get(plan.position or "", 0.5),
        )
        layers = [Layer(stage, None, -pad, -pad, 0.25, "plate", depth_bottom=ramp)]
        for sp in sprites:
            layers.append(
                Layer(
                    sp.rgb,
                    sp.alpha,
                    sp.x - pad,
                    sp.y - pad,
                    0.9,
                    sp.name,
                    True,
                    (sp.x - pad + sp.rgb.shape[1] / 2, sp.y - pad + sp.rgb.shape[0]),
                )
            )
        info["base"] = "procedural"

    plate_stats = grade.lab_stats(layers[0].rgb[pad : pad + h, pad : pad + w])
    n_cut = len(characters) + len(objects)
    slots = list(np.linspace(0.3, 0.7, n_cut)) if n_cut > 1 else [0.5]
    if n_cut == 1 and plan.position:
        slots = [POSITION_X[plan.position]]
    placed: list[dict] = []
    people: dict[int, Reference | None] = {}  # layer index -> its character reference
    if info["base"] == "first_frame":
        people[1] = None
    for i, ref in enumerate(characters + objects):
        check()
        is_obj = ref.type == "object"
        alpha, colours = segment_cutout(ref.image, "object" if is_obj else "auto", check)
        crop, a, _ = _crop_subject(colours, alpha)
        crop = _harmonise(crop, a, plate_stats, ref.strength)
        if is_obj:
            height, feet = 0.34 * h, 0.95 * h
        else:
            height, feet = SHOT_HEIGHT[plan.shot] * h, SHOT_FEET[plan.shot] * h
            # a head-and-shoulders reference is not a full figure: keep it near the frame bottom
            if crop.shape[0] < crop.shape[1] * 1.4:  # (even in a wide shot: no cut edge shows)
                feet = max(feet, 1.02 * h)
        # in tall frames the width binds: a cut-out never gets wider than its share of the frame
        max_w = 0.95 * w / max(1, n_cut) ** 0.5
        height = min(height, max_w * crop.shape[0] / max(1, crop.shape[1]))
        rgb, a, x, y = _place(crop, a, height, slots[i] * w, feet)
        cut_box = [round(x), round(y), rgb.shape[1], rgb.shape[0]]
        if feet < 0.97 * h:  # the feet are in frame: ground the cut-out with a contact shadow
            rgb, a = _with_shadow(rgb, a)
        if not is_obj:
            people[len(layers)] = ref
        layers.append(
            Layer(
                rgb,
                a,
                x,
                y,
                0.95 if not is_obj else 0.8,
                f"@{ref.tag}" if ref.tag else ref.type,
                True,
                (x + rgb.shape[1] / 2, y + rgb.shape[0]),
            )
        )
        placed.append(
            {
                "tag": ref.tag,
                "type": ref.type,
                "box": cut_box,
            }
        )
    if placed:
        info["placed"] = placed

    if info["base"] != "procedural":
        plan.drop_objects()
    if n_cut != 1 and info["base"] != "procedural":
        plan.drop_position()  # a first-frame subject stays where it is
    actor = _choose_actor(layers)
    if plan.action in ("walk_left", "walk_right") and actor is not None:
        at = next(i for i, ly in enumerate(layers) if ly is actor)
        if at in people or actor.name == "person":
            # a sliding cut-out is not a person walking: report it rather than fake it
            plan.drop_action()
            info["walk"] = "not shown: a still cut-out cannot walk (camera moves instead)"
            actor.animated = False
    # a procedural stage already paints its light into the sky: grade it only lightly
    look = 0.45 if info["base"] == "procedural" else 1.0
    check()
    rig, relit = _light_rig(plan, info, locations, layers, pad, w, h)
    for idx, ly in enumerate(layers):
        if ly.alpha is None or rig is None:
            continue
        check()
        person = people.get(idx)
        amount = 0.7 if ly.name == "subject" else 0.6
        if person is not None:  # a strong reference keeps more of its own light
            s = float(np.clip(person.strength, 0, 1))
            amount = 1.0 - 0.3 * s if plan.light else 0.1 + 0.8 * (1.0 - s)
        ly.rgb = grade.to_uint8(grade.relight(grade.to_float(ly.rgb), ly.alpha, rig, amount))
        relit.append(ly.name)
        info["relight"].setdefault("amounts", []).append(round(amount, 3))
    check()
    _bake_colour(layers, plan, styles, w, h, pad, look)
    check()
    livings = (
        _bring_to_life(req, layers, people, plan, info, frames / fps, check) if frames > 1 else []
    )
    overlays = build_overlays(plan.weather, out_h, out_w, req.seed, fps)
    key_plate, key_subject = _key_moves(first_out, last, info, check, out_w / w)
    camera = CameraPath(
        w,
        h,
        req.duration,
        plan.camera or (["static"] if key_plate or key_subject else []),
        plan.speed,
        plan.action,
        req.seed,
        centre_walk=first is None,
    )
    info["layers"] = [ly.name for ly in layers]
    info["render_size"] = [w, h]
    if (w, h) != (out_w, out_h):  # report boxes in output pixels
        k = out_w / w
        for key in ("subject_box",):
            if key in info:
                info[key] = [round(v * k) for v in info[key]]
        for p in info.get("placed", []):
            p["box"] = [round(v * k) for v in p["box"]]
    audio = soundtrack(livings, frames / fps)
    return Scene(
        w,
        h,
        fps,
        frames,
        layers,
        overlays,
        camera,
        plan,
        first_out,
        last,
        info,
        out_w,
        out_h,
        livings,
        audio,
        key_plate,
        key_subject,
    )


def _key_moves(
    first: np.ndarray | None,
    last: np.ndarray | None,
    info: dict,
    check: Callable[[], None],
    k: float,
) -> tuple[KeyMove | None, KeyMove | None]:
    """How the shot travels from the first keyframe's composition to the last's: matched
    features move the camera; the subjects' boxes move the subject layer."""
    if first is None or last is None:
        return None, None
    plate = feature_move(first, last)
    subject = None
    check()
    alpha = find_subject(first, check) if "subject_box" in info else None
    if alpha is not None and plate is not None:
        # the same place in both: the subject's own features say how it moved in it
        inside = alpha > 0.5
        big = cv2.dilate(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
        plate = feature_move(first, last, ~big) or plate
        subject = feature_move(first, last, inside)
    elif alpha is not None:  # no shared features: the subjects' boxes
        last_alpha = find_subject(last, check)
        if last_alpha is not None:
            x, y, bw, bh = (round(v * k) for v in info["subject_box"])  # output pixels
            subject = box_move((x, y, bw, bh), subject_box(last_alpha, 0.05))
    if plate is None and subject is not None:
        plate = subject  # the camera follows the subject
    moves = {}
    if plate is not None:
        moves["camera"] = plate.to_dict()
    if subject is not None:
        moves["subject"] = subject.to_dict()
    info["keyframe_move"] = moves or "none found: the last frame dissolves in"
    return plate, subject


def _bring_to_life(
    req: GenerationRequest,
    layers: list[Layer],
    people: dict[int, Reference | None],
    plan: ScenePlan,
    info: dict,
    duration: float,
    check: Callable[[], None],
) -> list[Living]:
    """Animate the face of every person cut-out; give quoted lines to their speakers."""
    livings: list[Living] = []
    by_tag: dict[str, Living] = {}
    report = []
    if not req.options.get("still_characters"):
        for k, (idx, ref) in enumerate(sorted(people.items())):
            check()
            ly = layers[idx]
            living, why = animate(ly.rgb, idx, req.seed * 31 + k)
            report.append({"layer": ly.name, "animated": living is not None, "why": why})
            if living is None:
                continue
            living.yaw_bias = camera_yaw(plan.camera)
            livings.append(living)
            if ref is not None and ref.tag:
                by_tag[ref.tag.lower()] = living
            living.info["voice"] = ref.voice if ref is not None else req.first_frame_voice
    start = SPEECH_START if req.first_frame is None else max(SPEECH_START, KEY_BLEND)
    start = min(start, 0.3 * duration)
    for tag, line in plan.dialogue:
        speaker = by_tag.get(tag.lower()) if tag else None
        if speaker is None and (tag is None or tag.lower() not in by_tag):
            speaker = livings[0] if livings else None
        if speaker is None:
            who = f"@{tag}" if tag else "the character"
            why = "; ".join(f"{r['layer']}: {r['why']}" for r in report) or "no person in it"
            raise InvalidInput(
                f"promptText: {who} cannot say {line[:40]!r}: no face in the shot can be "
                f"animated ({why}). Give a first frame or a character reference with a clear, "
                "frontal face, bound with the @tag, and frame it closer.",
                field="promptText",
            )
        check()
        voice = speaker.info.get("voice")
        speak(speaker, line, voice, start, duration)
        start = speaker.speech_start + speaker.speech.audio.duration + 0.3
    for living, entry in zip(livings, [r for r in report if r["animated"]], strict=True):
        entry.update({k: v for k, v in living.info.items() if k != "voice"})
    if report:
        info["characters"] = report
    return livings


SPEECH_START = 0.35  # a beat of quiet before a line
KEY_BLEND = 0.75  # the first keyframe hands over to the animated scene by then (compositor)


ACTOR_ORDER = ("subject", "person", "car", "boat")  # who walks when the prompt says "walks"


def _choose_actor(layers: list[Layer]) -> Layer | None:
    """Only one layer performs the subject action: the first-frame subject, else the first
    character reference, else a person, car or boat (houses and objects stay put)."""
    movable = [ly for ly in layers if ly.animated]

    def rank(ly: Layer) -> int:
        if ly.name in ACTOR_ORDER:
            return ACTOR_ORDER.index(ly.name)
        return 0 if ly.name.startswith("@") and ly.depth >= 0.95 else len(ACTOR_ORDER)

    actor = min(movable, key=rank, default=None)
    for ly in movable:
        ly.animated = ly is actor and rank(ly) < len(ACTOR_ORDER)
    return actor if actor is not None and actor.animated else None


def _light_rig(
    plan: ScenePlan,
    info: dict,
    locations: list[Reference],
    layers: list[Layer],
    pad: int,
    w: int,
    h: int,
) -> tuple[grade.LightRig | None, list[str]]:
    """The light that falls on the cut-outs: the plan's light words, else the location plate's
    own light (its brighter side and colour). The names of relit layers go into ``info``."""
    relit: list[str] = []
    rig = grade.RIGS.get(plan.light or "")
    source = plan.light
    if rig is None and locations and len(layers) > 1:
        rig = grade.plate_rig(layers[0].rgb[pad : pad + h, pad : pad + w])
        source = "location plate"
    if rig is not None:
        info["relight"] = {"light": source, "layers": relit}
    return rig, relit


def _bake_colour(
    layers: list[Layer],
    plan: ScenePlan,
    styles: list[Reference],
    w: int,
    h: int,
    pad: int,
    look: float = 1.0,
) -> None:
    """Style transfer, lighting look, depth of field and haze, applied to every layer."""
    src = style = None
    strength = 0.0
    if styles:
        ref = styles[0]
        # statistics of the un-styled frame: plate with the cut-outs over it
        frame0 = layers[0].rgb[pad : pad + h, pad : pad + w].astype(np.float32)
        for ly in layers[1:]:
            _blend_into(frame0, ly)
        src = grade.lab_stats(np.clip(frame0 / 255, 0, 1))
        style = grade.lab_stats(ref.image)
        strength = float(ref.strength)
    for ly in layers:
        img = grade.to_float(ly.rgb)
        if src is not None and style is not None:
            img = grade.transfer_lab(img, src, style, strength)
        if plan.weather:
            img = depth_haze(img, plan.weather, ly.depth)
        img = grade.apply_look(img, plan.light, look, frame_box=(-round(ly.x), -round(ly.y), w, h))
        out = grade.to_uint8(img)
        if ly.alpha is None and plan.dof == "shallow":
            out = cv2.GaussianBlur(out, (0, 0), max(1.5, w / 220))
        ly.rgb = out


def _blend_into(frame: np.ndarray, ly: Layer) -> None:
    """Alpha-blend a layer into a float frame at its resting position (no camera)."""
    x0, y0 = round(ly.x), round(ly.y)
    fh, fw = frame.shape[:2]
    lh, lw = ly.rgb.shape[:2]
    ax0, ay0 = max(0, x0), max(0, y0)
    ax1, ay1 = min(fw, x0 + lw), min(fh, y0 + lh)
    if ax1 <= ax0 or ay1 <= ay0 or ly.alpha is None:
        return
    src = ly.rgb[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0].astype(np.float32)
    a = ly.alpha[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0, None]
    frame[ay0:ay1, ax0:ax1] = frame[ay0:ay1, ax0:ax1] * (1 - a) + src * a
