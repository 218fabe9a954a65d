"""Multi-shot storyboards: several shots sharing references, joined by cuts or crossfades.

A storyboard is a YAML file; paths are relative to it::

    ratio: "1280:720"          # or width: / height:
    fps: 24
    seed: 7                    # shot i uses seed + i unless it sets its own
    preset: fast               # or model: gen4_turbo (mapped through settings.models)
    references:                # shared by every shot that mentions the @tag
      - {tag: hero, image: hero.jpg, type: character, strength: 0.85}
      - {tag: city, image: city.jpg, type: location}
    shots:
      - prompt: "@hero in @city at night, slow push in"
        duration: 3
      - prompt: "close-up of @hero, rain, handheld"
        duration: 2
        transition: crossfade  # how this shot begins: cut (default) | crossfade
        transition_duration: 0.5
        first_frame: start.jpg # optional keyframes, as in image_to_video
        last_frame: end.jpg

Untagged references apply to every shot. A crossfade overlaps the two shots around the cut (the
outgoing shot runs on a little, the incoming one starts a little early), so the film lasts
exactly the sum of the shot durations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import yaml

from kinema.errors import Cancelled, InvalidInput
from kinema.media.image import encode_image, load_image
from kinema.video.engines.compositor import Encoder, FrameRenderer, render_scale
from kinema.video.plan import UndrawablePrompt, parse_dialogue
from kinema.video.request import (
    CancelFn,
    GenerationRequest,
    GenerationResult,
    ProgressFn,
    Reference,
)
from kinema.video.scene import Scene, build_scene


@dataclass
class Shot:
    prompt: str
    duration: float = 3.0
    transition: str = "cut"  # how this shot begins
    transition_duration: float = 0.5
    first_frame: np.ndarray | None = None
    last_frame: np.ndarray | None = None
    seed: int | None = None


@dataclass
class Storyboard:
    shots: list[Shot]
    references: list[Reference] = field(default_factory=list)
    width: int = 1280
    height: int = 720
    fps: int = 24
    seed: int = 0
    preset: str = "fast"

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.shots)


def parse_ratio(text: str) -> tuple[int, int]:
    """``"1280:720"`` or ``"1280x720"`` → (1280, 720)."""
    for sep in (":", "x", "X"):
        if sep in str(text):
            a, b = str(text).split(sep, 1)
            try:
                w, h = int(a), int(b)
            except ValueError:
                break
            if w >= 16 and h >= 16 and w % 2 == 0 and h % 2 == 0:
                return w, h
    raise InvalidInput(f"ratio: {text!r} is not WIDTH:HEIGHT with even sides (e.g. 1280:720).")


def load_storyboard(path: str | Path, preset_for_model=None) -> Storyboard:  # noqa: ANN001
    """Read a storyboard YAML; ``preset_for_model(name)`` maps a ``model:`` key to a preset."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"storyboard: cannot read {path} ({exc}).") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("shots"), list) or not doc["shots"]:
        raise InvalidInput("storyboard: expected a mapping with a non-empty 'shots' list.")
    base = path.parent

    def image(p: str, what: str) -> np.ndarray:
        return load_image(base / p, field=what)

    refs_doc = doc.get("references") or []
    if isinstance(refs_doc, dict):  # {tag: {image: ..., type: ...}} is accepted too
        refs_doc = [
            {"tag": k, **(v if isinstance(v, dict) else {"image": v})} for k, v in refs_doc.items()
        ]
    refs = []
    for i, r in enumerate(refs_doc):
        if not isinstance(r, dict) or "image" not in r:
            raise InvalidInput(f"storyboard: reference {i} needs an 'image' path.")
        refs.append(
            Reference(
                image(r["image"], f"references[{i}]"),
                str(r["tag"]).lstrip("@") if r.get("tag") else None,
                r.get("type", "character"),
                float(r.get("strength", 0.85)),
            )
        )
    w, h = (
        parse_ratio(doc["ratio"])
        if "ratio" in doc
        else (int(doc.get("width", 1280)), int(doc.get("height", 720)))
    )
    preset = doc.get("preset")
    if preset is None and doc.get("model") and preset_for_model is not None:
        preset = preset_for_model(doc["model"])
    shots = []
    for i, s in enumerate(doc["shots"]):
        if not isinstance(s, dict):
            raise InvalidInput(f"storyboard: shot {i} must be a mapping with a prompt.")
        tr = s.get("transition", "cut")
        if isinstance(tr, dict):
            s = {**s, "transition_duration": tr.get("duration", 0.5)}
            tr = tr.get("type", "cut")
        if tr not in ("cut", "crossfade"):
            raise InvalidInput(f"storyboard: shot {i} transition {tr!r}; use cut or crossfade.")
        shots.append(
            Shot(
                prompt=str(s.get("prompt", "")),
                duration=float(s.get("duration", 3.0)),
                transition=tr,
                transition_duration=float(s.get("transition_duration", 0.5)),
                first_frame=image(s["first_frame"], f"shots[{i}].first_frame")
                if s.get("first_frame")
                else None,
                last_frame=image(s["last_frame"], f"shots[{i}].last_frame")
                if s.get("last_frame")
                else None,
                seed=s.get("seed"),
            )
        )
    return Storyboard(
        shots, refs, w, h, int(doc.get("fps", 24)), int(doc.get("seed", 0)), preset or "fast"
    )


def _shot_refs(sb: Storyboard, prompt: str) -> list[Reference]:
    low = prompt.lower()
    return [r for r in sb.references if not r.tag or f"@{r.tag.lower()}" in low]


def _half_fades(sb: Storyboard) -> list[int]:
    """Frames each crossfade borrows from either side of cut i (into shot i); 0 for cuts."""
    out = [0]
    for prev, shot in zip(sb.shots, sb.shots[1:], strict=False):
        if shot.transition != "crossfade":
            out.append(0)
            continue
        limit = min(prev.duration, shot.duration) / 2
        out.append(round(min(shot.transition_duration, limit) * sb.fps / 2))
    return out + [0]


def _film_audio(
    scenes: list, counts: list[int], halves: list[int], fps: int
) -> tuple[np.ndarray, int] | None:
    """Every shot's spoken lines on one track, where its frames land in the cut film (a
    crossfade overlaps the outgoing shot's tail and the incoming shot's head)."""
    rate = next((sc.audio[1] for sc in scenes if sc.audio is not None), None)
    if rate is None:
        return None
    track = np.zeros(round(sum(counts) / fps * rate), np.float32)
    start = 0  # global frame where shot i's frame 0 is shown
    for i, sc in enumerate(scenes):
        if sc.audio is not None:
            pcm, r = sc.audio
            if r != rate:
                pcm = np.interp(
                    np.arange(round(len(pcm) * rate / r)) * r / rate, np.arange(len(pcm)), pcm
                )
            a = round(start / fps * rate)
            n = max(0, min(len(pcm), len(track) - a))
            track[a : a + n] += pcm[:n]
        start += sc.frames - 2 * halves[i + 1]
    return np.clip(track, -32768, 32767).astype(np.int16), rate


def render_storyboard(
    sb: Storyboard,
    out_dir: Path,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> GenerationResult:
    """Render every shot into one ``video.mp4`` (+ ``poster.jpg``) in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    halves = _half_fades(sb)
    counts = [max(1, round(s.duration * sb.fps)) for s in sb.shots]
    total = sum(counts)
    path, poster = out_dir / "video.mp4", out_dir / "poster.jpg"
    understood: list[str] = []
    ignored: list[str] = []
    plans: list[dict] = []
    done = 0

    def shot_scene(i: int) -> Scene:
        shot, h_in, h_out = sb.shots[i], halves[i], halves[i + 1]
        n = counts[i] + h_in + h_out
        req = GenerationRequest(
            kind="video",
            prompt=shot.prompt,
            width=sb.width,
            height=sb.height,
            duration=n / sb.fps,
            fps=sb.fps,
            seed=shot.seed if shot.seed is not None else sb.seed + i,
            preset=sb.preset,
            first_frame=shot.first_frame,
            last_frame=shot.last_frame,
            references=_shot_refs(sb, shot.prompt),
        )
        try:
            scene = build_scene(req, render_scale(sb.preset, sb.width, sb.height), should_cancel)
        except (UndrawablePrompt, InvalidInput) as exc:  # say which shot, so the fix is obvious
            if isinstance(exc, UndrawablePrompt):
                raise UndrawablePrompt(exc.phrases, f"shot {i + 1}: {exc.message}") from None
            raise InvalidInput(f"shot {i + 1}: {exc.message}", field=exc.field) from None
        plan = scene.plan.to_dict()
        plan.update(scene.info, duration=shot.duration, transition=shot.transition)
        plans.append(plan)
        understood.extend(p for p in scene.plan.understood if p not in understood)
        ignored.extend(p for p in scene.plan.ignored if p not in ignored)
        return scene

    def shot_frames(i: int, scene: Scene) -> Iterator[np.ndarray]:
        renderer = FrameRenderer(scene, sb.preset)
        for j in range(scene.frames):
            if should_cancel is not None and should_cancel():
                raise Cancelled("generation cancelled")
            yield renderer.render(j)

    # scenes first when a shot speaks: the film's one soundtrack is laid out before encoding
    talking = any(parse_dialogue(s.prompt)[0] for s in sb.shots)
    scenes: list[Scene | None] = [shot_scene(i) for i in range(len(sb.shots))] if talking else []
    audio = _film_audio(scenes, counts, halves, sb.fps) if talking else None

    try:
        with Encoder(path, sb.width, sb.height, sb.fps, sb.preset, audio) as enc:

            def emit(frame: np.ndarray) -> None:
                nonlocal done
                if done == total // 3:
                    poster.write_bytes(encode_image(frame, "JPEG", quality=88))
                enc.put(frame)
                done += 1
                if progress is not None:
                    progress(done / total)

            tail: list[np.ndarray] = []  # the outgoing shot's last 2h frames
            for i in range(len(sb.shots)):
                h_in, h_out = halves[i], halves[i + 1]
                n = counts[i] + h_in + h_out
                new_tail: list[np.ndarray] = []
                scene = scenes[i] if scenes else shot_scene(i)
                assert scene is not None
                if scenes:
                    scenes[i] = None  # rendered once: let its layers go
                for j, frame in enumerate(shot_frames(i, scene)):
                    if j < 2 * h_in:  # crossfade with the previous shot's tail
                        w = (j + 0.5) / (2 * h_in)
                        emit(cv2.addWeighted(tail[j], 1.0 - w, frame, w, 0.0))
                    elif j >= n - 2 * h_out:
                        new_tail.append(frame.copy())
                    else:
                        emit(frame)
                tail = new_tail
    except BaseException:
        path.unlink(missing_ok=True)
        poster.unlink(missing_ok=True)
        raise
    plan = {
        "engine": "compositor",
        "preset": sb.preset,
        "shots": plans,
        "duration": sb.duration,
        "frames": total,
    }
    return GenerationResult([path], poster, understood, ignored, plan)
