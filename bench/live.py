"""Live conversation benchmark: turnaround, barge-in latency, concurrent 24 fps sessions, soak.

The server (real engines: face rig + renderer, espeak-ng, embedded brain) runs in a child
process behind the WebSocket transport; this process is the clients. Prints figures, never
passes or fails. Figures are noisy when other work shares the machine.

    python bench/live.py                       # turnaround + barge-in + concurrency ramp
    python bench/live.py --size 256 --max-sessions 24
    python bench/live.py --soak 1800           # 30 min: RSS growth and A/V drift
    python bench/live.py --spoken 20           # spoken turns: end of speech → first frame
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from fastapi import FastAPI, WebSocket  # module level: FastAPI resolves the route annotations

HEADER_SIZE = 10  # kind:u8 flags:u8 pts_us:i64


# ----------------------------------------------------------------------------------- server


def serve(port: int, size: int, fps: int, deflate: bool) -> None:
    import skimage.data
    import uvicorn

    from kinema.brain.persona import Persona
    from kinema.live.session import LiveSession, SessionConfig
    from kinema.live.transport.websocket import serve_websocket

    app = FastAPI()
    base = skimage.data.astronaut()

    @app.websocket("/live/{i}")
    async def live(ws: WebSocket, i: int) -> None:
        await ws.accept()  # accept first: building a new avatar takes a while under load
        img = np.clip(base.astype(np.int16) + (i % 8) * 6, 0, 255).astype(np.uint8)
        session = await LiveSession.create(
            SessionConfig(fps=fps, max_duration=4000, idle_timeout=600),
            portrait=img,
            rig_id=f"bench-{i % 8}",  # 8 distinct avatars, rigs shared beyond that
            size=size,
            persona=Persona(
                f"Guide{i}",
                description="A museum guide who talks at length about old ships, winter "
                "storms at sea, lighthouses and the people who kept them burning.",
            ),
            speech_input=False,
        )
        await serve_websocket(ws, session)

    @app.get("/rss")
    async def rss() -> dict[str, float]:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"rss_mb": _rss_mb(), "cpu_s": usage.ru_utime + usage.ru_stime}

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_per_message_deflate=deflate,  # deflating JPEG/PCM costs CPU and saves ~nothing
    )


def _rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# ----------------------------------------------------------------------------------- client


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.video: list[tuple[float, float, bool]] = []  # rx time, pts s, speaking
        self.audio: list[tuple[float, float, bool, int]] = []  # rx, pts, speaking, samples
        self.task = asyncio.create_task(self._pump())

    @classmethod
    async def connect(cls, port: int, i: int) -> Client:
        import websockets

        url = f"ws://127.0.0.1:{port}/live/{i}"
        ws = await websockets.connect(url, max_size=None, open_timeout=60)
        c = cls(ws)
        await c.wait_for("session", timeout=60)
        return c

    async def _pump(self) -> None:
        import websockets

        try:
            async for m in self.ws:
                now = time.monotonic()
                if isinstance(m, bytes):
                    kind, flags = m[0], m[1]
                    pts = int.from_bytes(m[2:10], "big", signed=True) / 1e6
                    if kind == 1:
                        self.video.append((now, pts, bool(flags & 1)))
                    else:
                        self.audio.append((now, pts, bool(flags & 1), (len(m) - HEADER_SIZE) // 2))
                else:
                    self.events.append((now, json.loads(m)))
        except websockets.ConnectionClosed:
            pass

    async def send(self, **msg: Any) -> float:
        await self.ws.send(json.dumps(msg))
        return time.monotonic()

    async def wait_for(self, kind: str, after: float = 0.0, timeout: float = 10.0) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for t, e in self.events:
                if e["type"] == kind and t >= after:
                    return e
            await asyncio.sleep(0.005)
        raise TimeoutError(kind)

    async def metrics(self) -> dict[str, Any]:
        t = await self.send(type="metrics")
        return await self.wait_for("metrics", after=t)

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()


async def _speaking_after(c: Client, t0: float, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while not any(sp and t > t0 for t, _, sp in c.video[-30:]):
        if time.monotonic() > end:
            raise TimeoutError("no speaking frame arrived")
        await asyncio.sleep(0.002)


async def _server_cpu(port: int) -> float:
    import httpx

    async with httpx.AsyncClient() as http:
        return (await http.get(f"http://127.0.0.1:{port}/rss")).json()["cpu_s"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def bench_turnaround(port: int, turns: int) -> None:
    c = await Client.connect(port, 0)
    await asyncio.sleep(1.0)
    totals, stages = [], []
    for _ in range(turns):
        t0 = await c.send(type="text", text="Who are you?")
        await _speaking_after(c, t0)
        first = min(t for t, _, sp in c.video if sp and t > t0)
        totals.append((first - t0) * 1000)
        await c.send(type="interrupt")
        stages.append(await c.wait_for("turn_metrics", after=t0))
        await asyncio.sleep(0.3)
    await c.close()
    print(f"turnaround (text in → first speaking frame at the client), {turns} turns:")
    print(f"  p50 {pct(totals, 0.5):.0f} ms   p95 {pct(totals, 0.95):.0f} ms   (goal p95 ≤ 300)")
    for key in ("first_sentence_ms", "first_audio_ms", "first_frame_ms"):
        vals = [s[key] for s in stages if s.get(key) is not None]
        if vals:
            print(f"  server stage {key:18s} p50 {pct(vals, 0.5):6.1f}  p95 {pct(vals, 0.95):6.1f}")


async def bench_barge_in(port: int, trials: int) -> None:
    c = await Client.connect(port, 1)
    lat, acks = [], []
    for _ in range(trials):
        t0 = await c.send(type="text", text="Who are you?")
        await _speaking_after(c, t0)
        await asyncio.sleep(0.8)
        t_cut = await c.send(type="interrupt")
        await c.wait_for("interrupted", after=t_cut)
        acks.append(
            (next(t for t, e in c.events if e["type"] == "interrupted" and t >= t_cut) - t_cut)
            * 1000
        )
        await asyncio.sleep(0.5)
        last = max(
            [t for t, _, sp in c.video if sp and t > t0]
            + [t for t, _, sp, _ in c.audio if sp and t > t0]
        )
        lat.append((last - t_cut) * 1000)
    await c.close()
    print(f"barge-in, {trials} trials (goal ≤ 200 ms):")
    print(
        f"  last speaking frame/audio received after the interrupt was sent: p50 "
        f"{pct(lat, 0.5):+.0f} ms, max {max(lat):+.0f} ms (negative: nothing after it)"
    )
    print(f"  'interrupted' event received: p50 {pct(acks, 0.5):.0f} ms, max {max(acks):.0f} ms")


async def bench_ramp(
    port: int,
    fps: int,
    max_sessions: int,
    hold: float,
    step: int,
    start: int = 1,
    idle: bool = False,
) -> None:
    doing = "idle (nobody talks)" if idle else "each session talking"
    print(f"concurrency ramp at {fps} fps ({doing}; pass = < 1% dropped frames):")
    clients: list[Client] = []
    best = 0
    n_target = start
    while n_target <= max_sessions:
        while len(clients) < n_target:
            clients.append(await Client.connect(port, len(clients)))
        await asyncio.sleep(3.0)  # settle after the rig/renderer set-up of the new sessions
        before = [await c.metrics() for c in clients]
        cpu0 = await _server_cpu(port)
        start = time.monotonic()
        counts = [len(c.video) for c in clients]
        while time.monotonic() - start < hold:
            for c in clients if not idle else []:
                if c.events and c.events[-1][1].get("state") in ("idle", None):
                    await c.send(type="text", text="Who are you?")
            await asyncio.sleep(0.5)
        span = time.monotonic() - start
        cpu = await _server_cpu(port) - cpu0
        after = [await c.metrics() for c in clients]
        frames = sum(a["frames"] - b["frames"] for a, b in zip(after, before, strict=True))
        dropped = sum(
            a["dropped_frames"] - b["dropped_frames"] for a, b in zip(after, before, strict=True)
        )
        received = sum(len(c.video) - k for c, k in zip(clients, counts, strict=True))
        expected = fps * span * len(clients)
        drop = max(dropped / max(1, frames + dropped), 1 - received / expected)
        render = statistics.mean(a["render_ms_mean"] or 0 for a in after)
        cpu_frame = 1000 * cpu / max(1, frames)
        cpu_bound = (os.cpu_count() or 1) * 1000 / (cpu_frame * fps)
        ok = drop < 0.01
        print(
            f"  {len(clients):3d} sessions: client fps {received / span / len(clients):5.1f}"
            f"  dropped {100 * drop:5.2f}%  render {render:5.1f} ms (wall)"
            f"  server CPU {cpu_frame:4.1f} ms/frame → ≈{cpu_bound:4.1f} sessions if the"
            f" cores were ours  {'ok' if ok else 'FAIL'}"
        )
        if not ok:
            break
        best = len(clients)
        n_target = step if n_target == 1 else n_target + step
    for c in clients:
        await c.close()
    print(f"  most concurrent {fps} fps sessions with < 1% dropped frames: {best} (goal ≥ 10)")


async def soak(port: int, seconds: float, server_pid: int) -> None:
    import httpx

    c = await Client.connect(port, 0)
    async with httpx.AsyncClient() as http:
        rss0 = (await http.get(f"http://127.0.0.1:{port}/rss")).json()["rss_mb"]
    start = time.monotonic()
    every = min(60.0, seconds / 3)
    next_print = start + every
    print(f"soak {seconds:.0f} s: RSS at start {rss0:.1f} MB")
    offset: float | None = None  # video pts - wall clock at the first report (drift is vs this)
    while time.monotonic() - start < seconds:
        if c.events and c.events[-1][1].get("state") == "idle":
            await c.send(type="text", text="Who are you?")
        await asyncio.sleep(0.5)
        if time.monotonic() >= next_print:
            next_print += every
            rss = _rss_mb(server_pid)
            wall = c.video[-1][0] - c.video[0][0]
            video_pts = c.video[-1][1] - c.video[0][1]
            if offset is None:
                offset = video_pts - wall
            audio_pts = c.audio[-1][1] + c.audio[-1][3] / 48000 if c.audio else 0.0
            m = await c.metrics()
            print(
                f"  t={time.monotonic() - start:6.0f}s RSS {rss:7.1f} MB ({rss - rss0:+.1f})"
                f"  A/V clock vs wall drift {1000 * (video_pts - wall - offset):+.0f} ms"
                f"  last audio end - video pts {1000 * (audio_pts - c.video[-1][1]):+.0f} ms"
                f"  dropped {m['dropped_frames']}"
            )
    await c.close()


async def main(args: argparse.Namespace) -> None:
    port = args.port
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, __file__, "--serve", str(port), "--size", str(args.size)]
    cmd += ["--deflate"] if args.deflate else []
    server = subprocess.Popen([*cmd, "--fps", str(args.fps)], env=env, stderr=subprocess.DEVNULL)
    try:
        import httpx

        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/rss", timeout=1)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        cpus = os.cpu_count()
        print(f"server pid {server.pid}, frames {args.size}², {args.fps} fps, {cpus} cpus")
        if args.soak:
            await soak(port, args.soak, server.pid)
            return
        if args.turns:
            await bench_turnaround(port, args.turns)
        if args.trials:
            await bench_barge_in(port, args.trials)
        await bench_ramp(
            port, args.fps, args.max_sessions, args.hold, args.step, args.start, args.idle
        )
    finally:
        server.terminate()
        server.wait(10)


# ------------------------------------------------------------------------------ spoken turn
# End of the user's speech → first speaking A/V frame at the client, with the real VAD
# endpointing (WebRTC VAD, 0.5 s hangover), Whisper tiny.en, hybrid retrieval, the embedded
# brain, the neural voice and the renderer. Separate server and flags (--spoken N) so the
# density benchmarks above stay as they are.

SPOKEN_QUESTIONS = [
    "What is your return policy?",
    "Where can I park my car?",
    "When are you open on Saturdays?",
    "How long is the warranty on the mount?",
    "Do you ship to Norway?",
]


def serve_spoken(port: int, size: int, fps: int) -> None:
    import skimage.data
    import uvicorn

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from paraphrases import HANDBOOK

    from kinema.brain.persona import Persona
    from kinema.knowledge.chunk import chunk_text
    from kinema.knowledge.index import SqliteIndex
    from kinema.live.session import LiveSession, SessionConfig
    from kinema.live.transport.websocket import serve_websocket
    from kinema.voice.asr import get_asr

    index = SqliteIndex(":memory:")
    index.add("shop", "handbook", "Orion handbook", chunk_text(HANDBOOK))
    get_asr()  # Whisper loaded before the first session
    app = FastAPI()
    portrait = skimage.data.astronaut()

    @app.websocket("/spoken/{i}")
    async def live(ws: WebSocket, i: int) -> None:
        await ws.accept()
        session = await LiveSession.create(
            SessionConfig(fps=fps, max_duration=4000, idle_timeout=600),
            portrait=portrait,
            rig_id="bench-spoken",
            size=size,
            persona=Persona("Orla", "Support Agent", knowledge_only=True),
            index=index,
            org_id="shop",
            doc_ids=["handbook"],
            speech_input=True,
        )
        await serve_websocket(ws, session)

    @app.get("/rss")
    async def rss() -> dict[str, float]:
        return {"rss_mb": _rss_mb()}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _question_audio() -> list[tuple[str, np.ndarray, int]]:
    """(text, 16 kHz PCM16 with 0.3 s of silence before, index of its last voiced sample)."""
    from kinema.media.audio import resample
    from kinema.voice.tts import get_tts

    out = []
    for text in SPOKEN_QUESTIONS:
        speech = get_tts().synthesize(text, "leo")
        pcm = resample(speech.audio.samples, speech.audio.rate, 16000).astype(np.int16)
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 300)
        last = int(loud[-1]) if len(loud) else len(pcm) - 1
        out.append((text, np.concatenate([np.zeros(4800, np.int16), pcm[: last + 1]]), last + 4800))
    return out


async def bench_spoken(port: int, turns: int) -> None:
    import websockets

    questions = _question_audio()
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/spoken/0", max_size=None)
    c = Client(ws)
    await c.wait_for("session", timeout=120)
    await c.send(type="audio", rate=16000)
    chunk = 320  # 20 ms, as a browser microphone sends
    silence = np.zeros(chunk, np.int16)
    latency, audio_first, heard = [], [], []
    stages: list[dict] = []
    for n in range(turns):
        text, pcm, last = questions[n % len(questions)]
        start = time.monotonic()
        t_end = None
        sent = 0
        while True:  # real-time pacing; silence after the question, as a live mic
            piece = pcm[sent : sent + chunk] if sent < len(pcm) else silence
            await ws.send(piece.tobytes())
            sent += chunk
            if t_end is None and sent > last:
                t_end = time.monotonic()  # the last voiced sample has left the client
            if t_end is not None and any(sp and t > t_end for t, _, sp in c.video[-40:]):
                break
            if t_end is not None and time.monotonic() - t_end > 8:
                break
            await asyncio.sleep(max(0.0, start + sent / 16000 - time.monotonic()))
        assert t_end is not None
        frames = [t for t, _, sp in c.video if sp and t > t_end]
        sound = [t for t, _, sp, _ in c.audio if sp and t > t_end]
        if frames:
            latency.append((min(frames) - t_end) * 1000)
        if sound:
            audio_first.append((min(sound) - t_end) * 1000)
        final = [
            e
            for t, e in c.events
            if e["type"] == "transcript" and e["role"] == "user" and t > start
        ]
        heard.append((text, final[-1].get("content", "") if final else ""))
        t_cut = await c.send(type="interrupt")
        with contextlib.suppress(TimeoutError):
            stages.append(await c.wait_for("turn_metrics", after=t_cut - 0.001, timeout=5))
        for _ in range(25):  # 0.5 s of silence between turns
            await ws.send(silence.tobytes())
            await asyncio.sleep(0.02)
    await c.close()
    print(f"spoken turn (end of user speech → first speaking frame at the client), {turns} turns:")
    if latency:
        print(
            f"  video p50 {pct(latency, 0.5):.0f} ms   p95 {pct(latency, 0.95):.0f} ms   "
            f"(goal p95 ≤ 900; includes the VAD's 500 ms hangover)"
        )
    if audio_first:
        print(f"  audio p50 {pct(audio_first, 0.5):.0f} ms   p95 {pct(audio_first, 0.95):.0f} ms")
    print("  server stages after the VAD's end-of-speech edge (ms):")
    for key in ("asr_ms", "first_sentence_ms", "first_audio_ms", "first_frame_ms", "turnaround_ms"):
        vals = [x[key] for x in stages if x.get(key) is not None]
        if vals:
            print(f"    {key:18s} p50 {pct(vals, 0.5):6.0f}  p95 {pct(vals, 0.95):6.0f}")
    print(f"  answered {len(latency)}/{turns}; heard e.g. {heard[0]!r}")


async def spoken_main(args: argparse.Namespace) -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, __file__, "--serve-spoken", str(args.port), "--size", str(args.size)]
    server = subprocess.Popen([*cmd, "--fps", str(args.fps)], env=env, stderr=subprocess.DEVNULL)
    try:
        import httpx

        for _ in range(600):
            try:
                httpx.get(f"http://127.0.0.1:{args.port}/rss", timeout=1)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        await bench_spoken(args.port, args.spoken)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--serve-spoken", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--spoken", type=int, default=0, help="spoken turns (VAD → ASR → reply) only")
    p.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--fps", type=int, default=24)
    p.add_argument("--turns", type=int, default=20)
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--max-sessions", type=int, default=16)
    p.add_argument("--step", type=int, default=2)
    p.add_argument("--start", type=int, default=1, help="first ramp step (sessions)")
    p.add_argument("--idle", action="store_true", help="ramp with silent sessions (no turns)")
    p.add_argument("--hold", type=float, default=10.0, help="seconds per ramp step")
    p.add_argument("--deflate", action="store_true", help="permessage-deflate on the server")
    p.add_argument("--soak", type=float, default=0.0, help="soak for this many seconds")
    a = p.parse_args()
    if a.serve_spoken:
        serve_spoken(a.serve_spoken, a.size, a.fps)
    elif a.spoken:
        asyncio.run(spoken_main(a))
    elif a.serve:
        serve(a.serve, a.size, a.fps, a.deflate)
    else:
        asyncio.run(main(a))
