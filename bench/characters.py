"""Characters API figures: avatar build time, REST conversation-turn latency (text only, with
speech, with a talking clip, voice in), avatar-video and act_two render rates.

    python bench/characters.py [--turns 5]

Runs in-process on a temporary KINEMA_HOME (no server; tasks run through the worker code).
Figures move with machine load: other processes on the cores slow every stage.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "characters"))

from chars_helpers import (  # noqa: E402
    VERSION,
    data_uri,
    einstein_uri,
    pdf_bytes,
    run_tasks,
    speech_wav,
    talking_reference,
)

from kinema.config import Settings  # noqa: E402
from kinema.platform import accounts, db  # noqa: E402


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms  (n={len(values)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=5)
    args = ap.parse_args()
    from kinema.api.app import create_app

    home = Path(tempfile.mkdtemp(prefix="kinema-bench-"))
    settings = Settings(home=home)  # type: ignore[arg-type]
    db.migrate(settings)
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "bench", credits=100_000)
        _, key = accounts.create_key(s, org.id)
    h = {"Authorization": f"Bearer {key}", **VERSION}
    with TestClient(create_app(settings, run_tasks=False)) as c:
        pdf = pdf_bytes(
            "Return policy: customers may return any telescope within 45 days.",
            "The warranty covers the telescope mount for seven years.",
        )
        doc = c.post(
            "/v1/documents/upload", files={"file": ("h.pdf", pdf, "application/pdf")}, headers=h
        ).json()
        body = {
            "name": "Orla",
            "personality": "A telescope shop assistant.",
            "referenceImage": einstein_uri(),
            "documentIds": [doc["id"]],
            "voice": {"type": "runway-live-preset", "presetId": "clara"},
        }
        avatar = c.post("/v1/avatars", json=body, headers=h).json()
        t = time.perf_counter()
        run_tasks(settings)  # first build includes loading the face models
        first = time.perf_counter() - t
        avatar2 = c.post("/v1/avatars", json=body, headers=h).json()
        t = time.perf_counter()
        run_tasks(settings)
        print(
            f"avatar build (analysis + rig): first {first:.2f} s (models load), "
            f"then {time.perf_counter() - t:.2f} s"
        )
        assert c.get(f"/v1/avatars/{avatar2['id']}", headers=h).json()["status"] == "READY"

        url = f"/v1/avatars/{avatar['id']}/conversation_turns"
        question = "How long is the warranty on the telescope mount?"
        for label, extra in (
            ("text only", {}),
            ("+ speech", {"speak": True}),
            ("+ clip 256", {"speak": True, "video": True, "videoSize": 256}),
            ("+ clip 384", {"speak": True, "video": True, "videoSize": 384}),
        ):
            walls, totals, parts = [], [], []
            for _ in range(args.turns):
                t = time.perf_counter()
                turn = c.post(url, json={"text": question, **extra}, headers=h).json()
                walls.append((time.perf_counter() - t) * 1000)
                totals.append(turn["timings"]["totalMs"])
                parts.append(turn["timings"])
            seconds = turn["audioSeconds"] or 0
            keys = [k for k in ("brainMs", "ttsMs", "renderMs") if k in parts[-1]]
            stages = "  ".join(
                f"{k[:-2]} {statistics.median(p[k] for p in parts):.0f}" for k in keys
            )
            print(
                f"turn {label:<11} HTTP {ms(walls)}   [{stages} ms]"
                + (f"  reply audio {seconds:.1f} s" if seconds else "")
            )
        wav = speech_wav("Can I get a refund?", "emma")
        walls, asr = [], []
        for _ in range(args.turns):
            t = time.perf_counter()
            turn = c.post(url, files={"audio": ("q.wav", wav, "audio/wav")}, headers=h).json()
            walls.append((time.perf_counter() - t) * 1000)
            asr.append(turn["timings"]["asrMs"])
        print(
            f"turn voice in    HTTP {ms(walls)}   [asr {statistics.median(asr):.0f} ms for "
            f"1.4 s of speech]"
        )

        text = (
            "Welcome to the Orion telescope shop. Every telescope may be returned within "
            "forty five days, and the mount is covered for seven years."
        )
        r = c.post(
            "/v1/avatar_videos",
            json={
                "model": "gwm1_avatars",
                "avatar": {"type": "custom", "avatarId": avatar["id"]},
                "speech": {"type": "text", "text": text},
            },
            headers=h,
        ).json()
        t = time.perf_counter()
        run_tasks(settings)
        dt = time.perf_counter() - t
        task = c.get(f"/v1/tasks/{r['id']}", headers=h).json()
        frames = task["duration"] * 24
        print(
            f"avatar video 512²: {task['duration']:.1f} s of speech in {dt:.2f} s "
            f"({frames / dt:.1f} frames/s, {task['duration'] / dt:.2f}x real time)"
        )

        ref = home / "reference.mp4"
        talking_reference(ref)
        for ratio in ("960:960", "1280:720"):
            r = c.post(
                "/v1/character_performance",
                json={
                    "model": "act_two",
                    "character": {"type": "image", "uri": einstein_uri()},
                    "reference": {"type": "video", "uri": data_uri(ref.read_bytes(), "video/mp4")},
                    "ratio": ratio,
                },
                headers=h,
            ).json()
            t = time.perf_counter()
            run_tasks(settings)
            dt = time.perf_counter() - t
            task = c.get(f"/v1/tasks/{r['id']}", headers=h).json()
            assert task["status"] == "SUCCEEDED", task
            print(
                f"act_two {ratio}: {task['duration']:.1f} s in {dt:.2f} s "
                f"({task['duration'] * 24 / dt:.1f} frames/s incl. rig build and tracking)"
            )


if __name__ == "__main__":
    main()
