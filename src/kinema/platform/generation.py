"""The ``generation`` task kind: a GenerationRequest run through ``kinema.video.generate``.

The payload is plain JSON (inputs already in storage), built by the API at create time; here it
becomes arrays and a request, the engine renders into a scratch folder, and the outputs are
checked (a video must decode at the size, rate and length asked) before they are stored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kinema.errors import EngineFailure
from kinema.platform.jobs.context import JobContext, JobOutput


def build_request(payload: dict[str, Any], ctx: JobContext):
    from kinema.media.image import load_image
    from kinema.video.request import GenerationRequest, Reference

    def image(key: str | None, field: str):
        return load_image(ctx.input_bytes(key), field=field) if key else None

    refs = [
        Reference(
            image=image(payload["inputs"][r["input"]], r.get("field", "referenceImages")),
            tag=r.get("tag"),
            type=r.get("type", "character"),
            strength=float(r.get("strength", 0.85)),
            voice=_voice(r.get("voice")),
            avatar_id=r.get("avatar_id"),
        )
        for r in payload.get("references", [])
    ]
    options = {k: float(v) for k, v in payload.get("options", {}).items()}
    options.setdefault("threads", float(render_threads(ctx.settings)))
    video = None
    if key := payload.get("inputs", {}).get("video"):  # gen4_aleph: the clip to edit
        video = ctx.out_dir / "input" / "source.mp4"
        video.parent.mkdir(parents=True, exist_ok=True)
        video.write_bytes(ctx.input_bytes(key))
    return GenerationRequest(
        kind=payload["kind"],
        prompt=payload.get("prompt", ""),
        width=int(payload["width"]),
        height=int(payload["height"]),
        duration=float(payload.get("duration", 5)),
        fps=int(payload.get("fps", 24)),
        seed=int(payload.get("seed", 0)),
        preset=payload.get("preset", "fast"),
        engine=payload.get("engine", "compositor"),
        first_frame=image(payload.get("inputs", {}).get("first_frame"), "promptImage"),
        last_frame=image(payload.get("inputs", {}).get("last_frame"), "promptImage"),
        references=refs,
        options=options,
        video=video,
        first_frame_voice=_voice(payload.get("first_frame_voice")),
    )


def _voice(spec: dict | None):  # noqa: ANN202 - a VoiceSpec (imported lazily) or None
    if not spec:
        return None
    from kinema.voice.presets import VoiceSpec

    return VoiceSpec.from_json(spec)


def avatar_voice(uri: str, org_id: str, settings: Any) -> tuple[str, dict] | None:
    """``(avatar id, voice spec as JSON)`` when an image input names an avatar
    (``kinema://avatars/<id>``): a character moves from a live conversation into a generated
    scene with its own face and voice. None for any other URI."""
    from dataclasses import asdict

    from kinema.platform import db
    from kinema.platform.characters import avatars as avatar_service
    from kinema.platform.characters import voices as voice_service
    from kinema.platform.characters.references import PREFIX

    if not uri.startswith(PREFIX):
        return None
    with db.session_scope(settings) as s:
        avatar = avatar_service.get(s, org_id, uri[len(PREFIX) :].strip("/"))
        spec = voice_service.spec_for(s, org_id, avatar.voice)
        return avatar.id, asdict(spec)


def precheck(
    payload: dict[str, Any], inputs: dict[str, bytes] | None = None, settings: Any = None
) -> None:
    """Refuse at submit time what the worker would fail on: a compositor prompt naming things
    no input shows (a 400 on ``promptText`` naming the words), so no credits are reserved
    for a picture that cannot be made."""
    if payload.get("engine") == "diffusers" and payload.get("kind") == "video":
        # a fixed-rate model (Wan) refuses what it would only show in slow motion: say so now
        from kinema.video.engines.diffusers_engine import FAMILIES, model_frames

        fam = FAMILIES.get(str(payload.get("preset")))
        if fam is not None:
            seconds = float(payload.get("duration", 5))
            model_frames(round(seconds * int(payload.get("fps", 24))), fam, seconds)
        return
    if payload.get("engine", "compositor") != "compositor" or payload.get("kind") not in (
        "video",
        "image",
    ):
        return
    names = set(inputs or {}) | set(payload.get("inputs", {}))
    if "video" in names:  # an edit: a change of angle or an unremovable object is a 400 now
        from kinema.video.aleph import parse_edit

        intent = parse_edit(str(payload.get("prompt", "")))
        if intent.add is not None and not payload.get("references"):
            from kinema.errors import InvalidInput

            raise InvalidInput(
                f"Invalid parameter 'references': {intent.phrases[-1]!r} needs a reference "
                "image of what to add.",
                field="references",
            )
        return
    if settings is not None and _flagged(str(payload.get("prompt", "")), settings):
        return  # moderation fails the task inside the worker (SAFETY.INPUT.TEXT), as Runway's
    from kinema.video.plan import check_drawable

    check_drawable(
        str(payload.get("prompt", "")),
        first_frame="first_frame" in names,
        references=[
            (r.get("tag"), str(r.get("type", "character"))) for r in payload.get("references", [])
        ],
    )


def _flagged(prompt: str, settings: Any) -> bool:
    from kinema.platform.moderation import UnsafeInput, check_prompt

    try:
        check_prompt(prompt, settings)
    except UnsafeInput:
        return True
    return False


def render_threads(settings: Any) -> int:
    """OpenCV threads per render: ``video_threads`` when set, else the cores shared out among
    the local workers (2 workers on 2 cores → 1 each, so two renders do not fight)."""
    if settings.video_threads > 0:
        return int(settings.video_threads)
    return max(1, (os.cpu_count() or 1) // max(1, settings.workers))


def check_video(path: Path, width: int, height: int, fps: int, duration: float) -> None:
    """Refuse an engine output that is not the video asked for (INTERNAL.BAD_OUTPUT)."""
    from kinema.media.video import probe

    try:
        info = probe(path)
    except Exception as exc:
        raise _bad_output(f"the engine wrote an unreadable video ({exc})") from None
    if (info.width, info.height) != (width, height):
        raise _bad_output(f"the engine wrote {info.width}x{info.height}, not {width}x{height}")
    if info.codec != "h264" or abs(info.fps - fps) > 0.01:
        raise _bad_output(
            f"the engine wrote {info.codec} at {info.fps:g} fps, expected h264 at {fps}"
        )
    if abs(info.frames - round(duration * fps)) > 1:
        raise _bad_output(
            f"the engine wrote {info.frames} frames, expected {round(duration * fps)}"
        )


def _bad_output(message: str) -> EngineFailure:
    err = EngineFailure(f"Bad output: {message}.")
    err.code = "INTERNAL.BAD_OUTPUT.CODE01"
    return err


def run_generation(payload: dict[str, Any], ctx: JobContext) -> JobOutput:
    from kinema.platform.moderation import check_prompt
    from kinema.video import generate

    check_prompt(payload.get("prompt", ""), ctx.settings)
    req = build_request(payload, ctx)
    ctx.check_cancel()
    result = generate(req, ctx.out_dir, ctx.progress, ctx.should_cancel)
    if not result.files or not all(Path(f).exists() for f in result.files):
        raise _bad_output("the engine produced no file")
    if req.kind == "video":
        check_video(Path(result.files[0]), req.width, req.height, req.fps, req.duration)
    keys = [ctx.store(Path(f)) for f in result.files]
    extra: dict[str, Any] = {
        "promptUnderstood": list(result.understood),
        "promptIgnored": list(result.ignored),
    }
    if result.poster and Path(result.poster).exists():
        extra["poster"] = ctx.store(Path(result.poster))
    return JobOutput(files=keys, extra=extra)
