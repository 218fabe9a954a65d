"""Helpers of the Characters API tests: portraits, speech, PDFs, running queued tasks."""

from __future__ import annotations

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from kinema.config import Settings
from kinema.media.image import encode_image
from kinema.platform import db

DATA = Path(__file__).parent / "data"
VERSION = {"X-Runway-Version": "2024-11-06"}
# hand-marked points of tests/characters/data/shiba_dog.jpg (image pixels)
SHIBA_POINTS = {
    "left_eye": [172, 233], "right_eye": [304, 229], "nose_tip": [222, 275],
    "mouth_left": [185, 340], "mouth_right": [275, 338], "upper_lip": [228, 325],
    "lower_lip": [228, 350], "chin": [228, 388],
}  # fmt: skip


def data_uri(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def einstein_uri() -> str:
    return data_uri((DATA / "einstein_photo.jpg").read_bytes())


def no_face_uri() -> str:
    from skimage import data as skdata

    return data_uri(encode_image(skdata.coffee()), "image/png")


def run_tasks(settings: Settings) -> list[str]:
    """Run every queued task to its end in this process, through the worker's own code
    (what a worker process would do); returns the task ids."""
    from kinema.platform import tasks
    from kinema.platform.jobs.registry import TASK_KINDS
    from kinema.platform.jobs.worker import Job, run_job

    with db.session_scope(settings) as s:
        claims = tasks.claim_pending(s, 50, "test")
    for c in claims:
        job = Job(
            c.task_id,
            c.attempt,
            c.kind,
            TASK_KINDS[c.kind],
            c.payload,
            settings.model_dump(mode="json"),
        )
        run_job(job)
    return [c.task_id for c in claims]


def pdf_bytes(*paragraphs: str, title: str = "Store handbook") -> bytes:
    """A small text PDF made with reportlab."""
    import io

    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    buf = io.BytesIO()
    styles = getSampleStyleSheet()
    story = [Paragraph(title, styles["Title"])]
    story += [Paragraph(p, styles["BodyText"]) for p in paragraphs]
    SimpleDocTemplate(buf, title=title).build(story)
    return buf.getvalue()


def make_avatar(client: TestClient, headers: dict, settings: Settings, **fields) -> dict:
    body = {
        "name": "Albert",
        "personality": "A patient physics teacher.",
        "referenceImage": einstein_uri(),
        "voice": {"type": "runway-live-preset", "presetId": "vincent"},
        **fields,
    }
    r = client.post("/v1/avatars", json=body, headers=headers)
    assert r.status_code == 200, r.text
    run_tasks(settings)
    return client.get(f"/v1/avatars/{r.json()['id']}", headers=headers).json()


def speech_wav(text: str, voice: str = "james") -> bytes:
    from kinema.voice.tts import get_tts

    return get_tts("espeak").synthesize(text, voice).audio.to_wav()


REFERENCE_TEXT = "Hello! Watch my mouth open and close as I talk to you now."


def talking_reference(path: Path, size: int = 256):  # type: ignore[no-untyped-def]
    """A talking-head performance video (the astronaut rig speaking, with audio) at ``path``;
    returns the per-frame controls that drove it."""
    from skimage import data as skdata

    from kinema.face.analyze import analyze
    from kinema.face.motion import controls_track
    from kinema.face.rig import Rig
    from kinema.face.talk import render_talking_clip
    from kinema.voice.tts import get_tts

    rig = Rig.build(None, analyze(skdata.astronaut()))
    speech = get_tts("espeak").synthesize(REFERENCE_TEXT, "james")
    render_talking_clip(rig, speech, path, size=size, seed=0)
    return controls_track(speech.phonemes, speech.audio.duration, 24, seed=0)
