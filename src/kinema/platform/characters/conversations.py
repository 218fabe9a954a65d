"""Conversations over REST: one user turn (text, or audio → ASR) in, the avatar's reply out —
text with citations, and on request its speech (WAV) and a rendered talking clip (mp4).

Each turn is stored on the conversation: transcript entries (role, content, timestamp,
citations) and a timing row (ASR, brain, TTS and render milliseconds, total latency). A REST
conversation counts as ended once idle for ``settings.live_idle_timeout`` seconds or when ended
explicitly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinema.config import Settings
from kinema.errors import InvalidInput, NotFound
from kinema.platform import db
from kinema.platform.characters import avatars, voices
from kinema.platform.characters.common import get_index, iso
from kinema.platform.characters.models import Conversation
from kinema.platform.models import new_id, utcnow
from kinema.platform.storage import get_storage
from kinema.platform.tasks import as_utc

MAX_TEXT = 2000
CLIP_SIZE = 384


@dataclass
class TurnResult:
    conversation_id: str
    turn: int
    user_text: str
    reply: str
    citations: list[dict[str, Any]]
    audio_key: str | None = None
    audio_seconds: float | None = None
    video_key: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    transcript_confidence: float | None = None


def get_brain_for(settings: Settings):
    from kinema.brain.base import get_brain

    return get_brain(settings.brain, settings)


def refresh_status(conv: Conversation, settings: Settings) -> None:
    """An idle REST conversation has ended at its last activity."""
    if conv.status != "in_progress":
        return
    idle = utcnow() - as_utc(conv.updated_at)
    if idle > timedelta(seconds=settings.live_idle_timeout):
        conv.status, conv.ended_at = "ended", conv.updated_at


def duration(conv: Conversation) -> int | None:
    if conv.started_at is None:
        return None
    end = conv.ended_at or conv.updated_at
    return max(0, round((as_utc(end) - as_utc(conv.started_at)).total_seconds()))


def get(session: Session, org_id: str, conv_id: str, settings: Settings) -> Conversation:
    conv = session.get(Conversation, conv_id, populate_existing=True)
    if conv is None or conv.org_id != org_id:
        raise NotFound("Conversation not found.")
    refresh_status(conv, settings)
    return conv


def list_stmt(org_id: str, avatar_id: str | None, start: datetime | None, end: datetime | None):
    stmt = select(Conversation).where(Conversation.org_id == org_id)
    if avatar_id:
        stmt = stmt.where(Conversation.avatar_id == avatar_id)
    if start:
        stmt = stmt.where(Conversation.created_at >= start)
    if end:
        stmt = stmt.where(Conversation.created_at < end)
    return stmt.order_by(Conversation.created_at.desc())


def end(session: Session, org_id: str, conv_id: str, settings: Settings) -> Conversation:
    conv = get(session, org_id, conv_id, settings)
    if conv.status == "in_progress":
        conv.status, conv.ended_at = "ended", utcnow()
    return conv


def feedback(
    session: Session,
    org_id: str,
    conv_id: str,
    settings: Settings,
    rating: Any,
    comment: str | None,
) -> Conversation:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("Invalid parameter 'rating': an integer from 1 to 5.", field="rating")
    if comment is not None and len(comment) > 5000:
        raise InvalidInput("Invalid parameter 'comment': at most 5000 characters.", field="comment")
    conv = get(session, org_id, conv_id, settings)
    conv.rating, conv.comment = rating, comment
    return conv


def usage(
    session: Session, org_id: str, start: datetime, end_: datetime, settings: Settings
) -> dict[str, Any]:
    """Runway's ``/v1/avatar_usage``: sessions and measured seconds per UTC day."""
    if end_ <= start:
        raise InvalidInput("Invalid parameter 'endDate': must be after startDate.", field="endDate")
    if end_ - start > timedelta(days=90):
        raise InvalidInput(
            "Invalid parameter 'endDate': the range may span at most 90 days.", field="endDate"
        )
    rows = session.scalars(list_stmt(org_id, None, start, end_)).all()
    days: dict[str, list[int]] = {}
    day = start.date()
    while datetime.combine(day, datetime.min.time(), start.tzinfo) < end_:
        days[day.isoformat()] = [0, 0]
        day += timedelta(days=1)
    total_s, measured = 0, 0
    for conv in rows:
        refresh_status(conv, settings)
        key = as_utc(conv.created_at).date().isoformat()
        days.setdefault(key, [0, 0])[0] += 1
        # a conversation still in progress counts up to its last activity, so usage does not
        # lag until someone ends it (REST conversations usually just go idle)
        if (d := duration(conv)) is not None:
            days[key][1] += d
            total_s += d
            measured += 1
    return {
        "totalSessions": len(rows),
        "totalSeconds": total_s,
        "avgDurationSeconds": round(total_s / measured) if measured else 0,
        "byDay": [{"date": k, "sessions": v[0], "seconds": v[1]} for k, v in sorted(days.items())],
    }


async def take_turn(
    settings: Settings,
    org_id: str,
    avatar_id: str,
    *,
    text: str | None = None,
    audio: bytes | None = None,
    conversation_id: str | None = None,
    speak: bool = False,
    video: bool = False,
    clip_size: int = CLIP_SIZE,
) -> TurnResult:
    """Send one user turn to an avatar and get its reply (see module docstring)."""
    from kinema.brain.base import Turn
    from kinema.brain.persona import Persona
    from kinema.brain.respond import answer

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    with db.session_scope(settings) as s:
        avatar = avatars.get(s, org_id, avatar_id)
        if video:
            avatars.require_ready(avatar)
        persona = Persona.from_personality(
            avatar.name,
            avatar.personality,
            start_script=avatar.start_script,
            knowledge_only=avatar.knowledge_only,
        )
        doc_ids, emotion = list(avatar.document_ids or []), avatar.emotion
        spec = voices.spec_for(s, org_id, avatar.voice)
        if conversation_id:
            conv = get(s, org_id, conversation_id, settings)
            if conv.avatar_id != avatar_id:
                raise InvalidInput(
                    "Invalid parameter 'conversationId': it belongs to another avatar.",
                    field="conversationId",
                )
            if conv.status != "in_progress":
                raise InvalidInput(
                    "Invalid parameter 'conversationId': the conversation has "
                    "ended; start a new one.",
                    field="conversationId",
                )
            history = [Turn(e["role"], e.get("content") or "") for e in conv.transcript]
            conv_id = conv.id
        else:
            conv_id, history = new_id(), []
    confidence = None
    if audio is not None:
        from kinema.media.audio import decode_audio
        from kinema.voice.asr import get_asr

        # off the event loop: a decode can take seconds (the loop paces live sessions)
        decoded = await asyncio.to_thread(decode_audio, audio, rate=16000, field="audio")
        t = time.perf_counter()
        heard = await asyncio.to_thread(get_asr(settings.asr).transcribe, decoded)
        timings["asrMs"] = (time.perf_counter() - t) * 1000
        text, confidence = heard.text, heard.confidence
        if not text.strip():
            raise InvalidInput(
                "Invalid parameter 'audio': no speech was recognised in it.", field="audio"
            )
    text = " ".join((text or "").split())
    if not text:
        raise InvalidInput("Invalid parameter 'text': send text or an audio file.", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"Invalid parameter 'text': at most {MAX_TEXT} characters.", field="text"
        )
    t = time.perf_counter()
    sentences, seen, citations = [], set(), []
    async for sentence in answer(
        get_brain_for(settings), get_index(settings), org_id, doc_ids, persona, history, text
    ):
        sentences.append(sentence.text)
        for c in sentence.citations:
            if (c.doc_id, c.position) not in seen:
                seen.add((c.doc_id, c.position))
                citations.append(
                    {
                        "documentId": c.doc_id,
                        "documentName": c.doc_name,
                        "position": c.position,
                        "page": c.page,
                        "heading": c.heading,
                        "source": c.source or c.doc_name,
                        "snippet": c.snippet,
                    }
                )
    reply = " ".join(sentences).strip()
    timings["brainMs"] = (time.perf_counter() - t) * 1000
    result = TurnResult(
        conv_id, len(history) // 2, text, reply, citations, transcript_confidence=confidence
    )
    storage = get_storage(settings)
    if (speak or video) and reply:
        from kinema.voice.tts import get_tts

        t = time.perf_counter()
        speech = await asyncio.to_thread(
            get_tts(settings.tts).synthesize, reply, spec, voices.prosody(emotion)
        )
        timings["ttsMs"] = (time.perf_counter() - t) * 1000
        base = f"conversations/{conv_id}/turn-{result.turn:03d}"
        result.audio_key = storage.put_bytes(base + ".wav", speech.audio.to_wav())
        result.audio_seconds = round(speech.audio.duration, 3)
        if video:
            result.video_key = await asyncio.to_thread(
                _render_clip, settings, org_id, avatar_id, speech, base, emotion, clip_size
            )
            timings["renderMs"] = (time.perf_counter() - t) * 1000 - timings["ttsMs"]
    timings["totalMs"] = (time.perf_counter() - t0) * 1000
    result.timings = {k: round(v, 1) for k, v in timings.items()}
    _record(settings, org_id, avatar_id, result)
    return result


_RENDERERS: OrderedDict[tuple[str, str, int], tuple[Any, threading.Lock]] = OrderedDict()
_RENDERERS_LOCK = threading.Lock()


def _renderer(avatar: Any, settings: Settings, size: int) -> tuple[Any, threading.Lock]:
    """A ``Renderer`` per (avatar, rig, size), kept for the next turn (building one takes
    about a second); its lock serialises clips of the same avatar and size."""
    from kinema.face.render import Renderer

    key = (avatar.id, avatar.rig_key or "", size)
    with _RENDERERS_LOCK:
        hit = _RENDERERS.get(key)
        if hit is not None:
            _RENDERERS.move_to_end(key)
            return hit
    entry = (Renderer(avatars.load_rig(avatar, settings), size), threading.Lock())
    with _RENDERERS_LOCK:
        entry = _RENDERERS.setdefault(key, entry)
        while len(_RENDERERS) > 4:
            _RENDERERS.popitem(last=False)
    return entry


def _render_clip(
    settings: Settings,
    org_id: str,
    avatar_id: str,
    speech: Any,
    base: str,
    emotion: str,
    size: int,
) -> str:
    import tempfile
    from pathlib import Path

    from kinema.face.talk import render_talking_clip

    with db.session_scope(settings) as s:
        avatar = avatars.get(s, org_id, avatar_id)
    renderer, lock = _renderer(avatar, settings, size)  # outside the (locking) transaction
    with tempfile.TemporaryDirectory(prefix="kinema-turn-") as tmp, lock:
        out = render_talking_clip(
            renderer.rig,
            speech,
            Path(tmp) / "clip.mp4",
            size=size,
            emotion=emotion,
            renderer=renderer,
        )
        return get_storage(settings).put_file(base + ".mp4", out)


def _record(settings: Settings, org_id: str, avatar_id: str, result: TurnResult) -> None:
    now = utcnow()
    with db.session_scope(settings) as s:
        conv = s.get(Conversation, result.conversation_id)
        if conv is None:
            avatar = avatars.get(s, org_id, avatar_id)
            conv = Conversation(
                id=result.conversation_id,
                org_id=org_id,
                avatar_id=avatar_id,
                avatar_name=avatar.name,
                name=f"{avatar.name}: {result.user_text[:60]}",
                status="in_progress",
                transcript=[],
                turns=[],
                created_at=now,
                started_at=now,
                updated_at=now,
            )
            s.add(conv)
        user: dict[str, Any] = {"role": "user", "content": result.user_text, "timestamp": iso(now)}
        if result.transcript_confidence is not None:
            user["asrConfidence"] = round(result.transcript_confidence, 3)
        reply = {
            "role": "assistant",
            "content": result.reply,
            "timestamp": iso(utcnow()),
            "citations": result.citations,
        }
        conv.transcript = [*conv.transcript, user, reply]
        conv.turns = [
            *conv.turns,
            {"turn": result.turn, **result.timings, "audioSeconds": result.audio_seconds},
        ]
        conv.updated_at = utcnow()
