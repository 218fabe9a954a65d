"""Restyle and relight an existing video with the compositor's vocabulary (``gen4_aleph``).

The input is streamed frame by frame (never held in memory), cropped to the requested size and
re-timed to ``fps`` for ``duration`` seconds (the platform passes the input's own length;
a shorter input holds its last frame); the prompt's light words regrade it, a style reference
moves its colour statistics ``strength`` of the way (measured on the first frame, so the whole
clip moves together), camera words add a move over the clip, and weather words add particles.
Object edits (``kinema.video.aleph``): "remove the person" erases moving people over a clean
background plate; "add @prop" composites a reference with a contact shadow, moving with the
camera; a change of camera angle is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from kinema.errors import Cancelled, InvalidInput, InvalidMedia
from kinema.media.image import encode_image
from kinema.video import grade
from kinema.video.aleph import blank_edit_phrases, parse_edit
from kinema.video.camera import CameraPath
from kinema.video.particles import build_overlays
from kinema.video.plan import POSITION_X, parse_prompt
from kinema.video.request import CancelFn, GenerationRequest, GenerationResult, ProgressFn

MAX_SECONDS = 30.0


def _source_frames(path: Path, fps: int, seconds: float) -> tuple[Iterator[np.ndarray], int]:
    """``seconds`` of ``path`` re-timed to ``fps`` (nearest earlier frame; a short input holds
    its last frame), and how many frames that is."""
    try:
        container = av.open(str(path))
        vs = container.streams.video[0]
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise InvalidMedia(f"video: cannot read the input video ({exc}).", field="video") from None
    duration = 0.0
    if vs.duration and vs.time_base:
        duration = float(vs.duration * vs.time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    if duration <= 0:
        container.close()
        raise InvalidMedia("video: the input video has no duration.", field="video")
    n = max(1, round(min(seconds, MAX_SECONDS) * fps))

    def frames() -> Iterator[np.ndarray]:
        produced = 0
        last: np.ndarray | None = None
        try:
            for frame in container.decode(vs):
                t = (
                    float(frame.pts * vs.time_base)
                    if frame.pts is not None and vs.time_base
                    else produced / fps
                )
                img = frame.to_ndarray(format="rgb24")
                if last is None:
                    last = img
                while produced < n and produced / fps < t - 1e-6:  # the frame shown at j/fps
                    yield last
                    produced += 1
                last = img
                if produced >= n:
                    break
            while produced < n and last is not None:  # the tail holds the last frame
                yield last
                produced += 1
        except av.error.FFmpegError as exc:
            raise InvalidMedia(f"video: cannot decode the input ({exc}).", field="video") from None
        finally:
            container.close()

    return frames(), n


def edit_video(
    req: GenerationRequest,
    out_dir: Path,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> GenerationResult:
    from kinema.video.engines.compositor import Encoder
    from kinema.video.scene import fit_cover

    if req.video is None:
        raise InvalidMedia("video: an edit needs an input video.", field="video")
    w, h, fps = int(req.width), int(req.height), int(req.fps)
    intent = parse_edit(req.prompt)
    plan = parse_prompt(blank_edit_phrases(req.prompt), {r.tag for r in req.references if r.tag})
    plan.understood[:0] = intent.phrases
    added = None
    if intent.add is not None:
        added = next((r for r in req.references if r.tag and r.tag == intent.add), None)
        added = added or (req.references[0] if req.references else None)
        if added is None:
            raise InvalidInput(
                f"promptText: {intent.phrases[-1]!r} needs a reference image of what to add "
                "(references).",
                field="references",
            )
    retouch = None
    if intent.remove or added is not None:
        from kinema.video.aleph import Retouch
        from kinema.video.segment import segment_cutout

        cutout = None
        if added is not None:
            a, colours = segment_cutout(
                added.image, "object" if added.type != "character" else "auto"
            )
            cutout = (colours, a)
        first_pass, n0 = _source_frames(Path(req.video), fps, req.duration)
        retouch = Retouch(
            first_pass,
            n0,
            (w, h),
            lambda f: fit_cover(f, w, h),
            intent.remove,
            cutout,
            (POSITION_X.get(plan.position or "", 0.5), 0.95),
            should_cancel,
        )
    frames, n = _source_frames(Path(req.video), fps, req.duration)
    styles = [r for r in req.references if r.type == "style" and r is not added] or [
        r for r in req.references if r.type != "character" and r is not added
    ]
    overlays = build_overlays(plan.weather, h, w, req.seed, fps)
    camera = CameraPath(
        w, h, n / fps, [m for m in plan.camera if m != "drift"], plan.speed, None, req.seed
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path, poster = out_dir / "video.mp4", out_dir / "poster.jpg"
    grader: grade.FrameGrader | None = None
    try:
        with Encoder(path, w, h, fps, "fast") as enc:
            for i, src in enumerate(frames):
                if should_cancel is not None and should_cancel():
                    raise Cancelled("generation cancelled")
                frame = fit_cover(src, w, h)
                if retouch is not None:  # remove / add before the grade: it lights them alike
                    frame = retouch.apply(frame, i)
                if grader is None:  # statistics of the first frame set the transfer
                    style = None
                    if styles:
                        ref = styles[0]
                        style = (
                            grade.lab_stats(frame),
                            grade.lab_stats(ref.image),
                            float(ref.strength),
                        )
                    grader = grade.FrameGrader(h, w, plan.light, style)
                if plan.camera:
                    m = camera.camera(i / max(1, n - 1), i / fps, 1.0)
                    frame = cv2.warpAffine(
                        frame,
                        m[:2],
                        (w, h),
                        flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT_101,
                    )
                frame = grader.apply(frame)
                if plan.dof == "shallow":
                    frame = cv2.GaussianBlur(frame, (0, 0), max(1.0, w / 400))
                frame = np.ascontiguousarray(frame)
                for ov in overlays:
                    cv2.add(frame, ov.view(i, h, w), dst=frame)
                if i == n // 3:
                    poster.write_bytes(encode_image(frame, "JPEG", quality=88))
                enc.put(frame)
                if progress is not None:
                    progress((i + 1) / n)
    except BaseException:
        path.unlink(missing_ok=True)
        poster.unlink(missing_ok=True)
        raise
    info = plan.to_dict()
    info.update(engine="compositor", preset="edit", frames=n)
    if retouch is not None:
        info["retouch"] = retouch.info
    return GenerationResult([path], poster, list(plan.understood), list(plan.ignored), info)
