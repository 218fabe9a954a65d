"""What the Studio's Deployments charts show: conversations per day, satisfaction, latency
percentiles per stage and frame rate, computed from session rows and per-turn records."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinema.platform.deployments.models import RealtimeSession, SessionTurn
from kinema.platform.models import utcnow
from kinema.platform.tasks import as_utc

STAGES = ("asr_ms", "first_sentence_ms", "first_audio_ms", "first_frame_ms", "turnaround_ms")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return round(ordered[int(rank) - 1], 1)


def overview(s: Session, org_id: str, *, days: int = 14, avatar_id: str | None = None) -> dict:
    since = utcnow() - timedelta(days=days)
    stmt = select(RealtimeSession).where(
        RealtimeSession.org_id == org_id, RealtimeSession.created_at >= since
    )
    if avatar_id:
        stmt = stmt.where(RealtimeSession.avatar_id == avatar_id)
    sessions = list(s.scalars(stmt))
    today = utcnow().date()
    per_day: Counter[str] = Counter()
    seconds: defaultdict[str, float] = defaultdict(float)
    for row in sessions:
        if row.status in ("RUNNING", "COMPLETED") or row.started_at is not None:
            day = as_utc(row.created_at).date().isoformat()
            per_day[day] += 1
            seconds[day] += row.duration or 0.0
    by_day = [
        {
            "date": (d := (today - timedelta(days=i)).isoformat()),
            "sessions": per_day[d],
            "seconds": round(seconds[d], 1),
        }
        for i in range(days - 1, -1, -1)
    ]
    ratings = [r.satisfaction for r in sessions if r.satisfaction]
    ids = [r.id for r in sessions]
    records: list[dict[str, Any]] = (
        [t.record for t in s.scalars(select(SessionTurn).where(SessionTurn.session_id.in_(ids)))]
        if ids
        else []
    )
    latency = {}
    for stage in STAGES:
        values = [float(r[stage]) for r in records if r.get(stage) is not None]
        latency[stage] = {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "n": len(values),
        }
    fps = [float(r.metrics["fps"]) for r in sessions if r.metrics and r.metrics.get("fps")]
    dropped = [int(r.metrics.get("dropped_frames") or 0) for r in sessions if r.metrics]
    return {
        "days": days,
        "sessions": len(sessions),
        "conversationsPerDay": by_day,
        "satisfaction": {
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "count": len(ratings),
            "histogram": {str(k): ratings.count(k) for k in range(1, 6)},
        },
        "latency": latency,
        "fps": {
            "p50": percentile(fps, 50),
            "min": round(min(fps), 1) if fps else None,
            "sessions": len(fps),
        },
        "droppedFrames": sum(dropped),
    }
