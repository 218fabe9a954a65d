"""Live conversation benchmark: turnaround, barge-in latency, concurrent 24 fps sessions, soak.

The server (real engines: face rig + renderer, espeak-ng, embedded brain) runs in a child
process behind the WebSocket transport; this process is the clients. Prints figures, never
passes or fails. Figures are noisy when other work shares the machine.

    python bench/live.py --turns 0 --trials 0 --start 12 --step 4 --max-sessions 28 \
        --idle --compare 4                     # density (talking, idle) + WebSocket vs WebRTC
    python bench/live.py                       # turnaround + barge-in + talking ramp
    python bench/live.py --soak 1800           # 30 min, 10 talking: RSS growth, A/V drift
    python bench/live.py --spoken 20           # spoken turns: end of speech → first frame
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np
from fastapi import FastAPI, WebSocket  # module level: FastAPI resolves the route annotations

HEADER_SIZE = 10  # kind:u8 flags:u8 pts_us:i64
TALK = "Tell me everything about the lighthouses, the winter storms and the old ships."


# ----------------------------------------------------------------------------------- server


def serve(port: int, size: int, fps: int, deflate: bool) -> None:
    import skimage.data
    import uvicorn

    from kinema.brain.persona import Persona
    from kinema.live.session import LiveSession, SessionConfig
    from kinema.live.transport.webrtc import answer_webrtc_offer
    from kinema.live.transport.websocket import serve_websocket

    app = FastAPI()
    base = skimage.data.astronaut()

    async def make_session(i: int) -> LiveSession:
        img = np.clip(base.astype(np.int16) + (i % 8) * 6, 0, 255).astype(np.uint8)
        return await LiveSession.create(
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

    @app.websocket("/live/{i}")
    async def live(ws: WebSocket, i: int) -> None:
        await ws.accept()  # accept first: building a new avatar takes a while under load
        await serve_websocket(ws, await make_session(i))

    @app.post("/offer/{i}")
    async def offer(i: int, body: dict[str, str]) -> dict[str, str]:
        session = await make_session(i)
        sdp, kind = await answer_webrtc_offer(body["sdp"], body["type"], session)
        return {"sdp": sdp, "type": kind}

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


class RtcClient:
    """An aiortc viewer with the same surface as ``Client`` (events, video, audio, send)."""

    def __init__(self, pc: Any, channel: Any) -> None:
        self.pc, self.channel = pc, channel
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.video: list[tuple[float, float, bool]] = []
        self.audio: list[tuple[float, float, bool, int]] = []
        self.tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def connect(cls, port: int, i: int) -> RtcClient:
        import httpx
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        c = cls(pc, pc.createDataChannel("control"))
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", lambda track: c.tasks.append(asyncio.ensure_future(c._read(track))))
        c.channel.on("message", lambda m: c.events.append((time.monotonic(), json.loads(m))))
        await pc.setLocalDescription(await pc.createOffer())
        async with httpx.AsyncClient() as http:
            offer = {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}
            r = await http.post(f"http://127.0.0.1:{port}/offer/{i}", json=offer, timeout=60)
        await pc.setRemoteDescription(RTCSessionDescription(**r.json()))
        end = time.monotonic() + 30
        while c.channel.readyState != "open" and time.monotonic() < end:
            await asyncio.sleep(0.02)
        return c

    async def _read(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        try:
            while True:
                frame = await track.recv()
                pts = float(frame.pts * frame.time_base)
                if track.kind == "video":
                    self.video.append((time.monotonic(), pts, False))
                else:
                    self.audio.append((time.monotonic(), pts, False, frame.samples))
        except MediaStreamError:
            pass

    async def send(self, **msg: Any) -> float:
        self.channel.send(json.dumps(msg))
        return time.monotonic()

    wait_for = Client.wait_for
    metrics = Client.metrics

    async def close(self) -> None:
        await self.pc.close()
        for t in self.tasks:
            t.cancel()


async def _connect(transport: str, port: int, i: int) -> Client | RtcClient:
    if transport == "webrtc":
        return await RtcClient.connect(port, i)
    return await Client.connect(port, i)


async def _measure(port: int, clients: list[Any], hold: float, idle: bool) -> dict[str, float]:
    """Hold the load for ``hold`` s: drops, server CPU per frame, CPU per stage per frame."""
    before = [await c.metrics() for c in clients]
    cpu0 = await _server_cpu(port)
    start = time.monotonic()
    while time.monotonic() - start < hold:
        for c in clients if not idle else []:
            if c.events and c.events[-1][1].get("state") in ("idle", None):
                await c.send(type="text", text=TALK)
        await asyncio.sleep(0.5)
    span = time.monotonic() - start
    cpu = await _server_cpu(port) - cpu0
    after = [await c.metrics() for c in clients]
    frames = sum(a["frames"] - b["frames"] for a, b in zip(after, before, strict=True))
    dropped = sum(
        a["dropped_frames"] - b["dropped_frames"] for a, b in zip(after, before, strict=True)
    )
    reused = sum(
        a["reused_frames"] - b["reused_frames"] for a, b in zip(after, before, strict=True)
    )
    stages: dict[str, float] = {}
    for a, b in zip(after, before, strict=True):
        for k, v in a.get("cpu_ms", {}).items():
            stages[k] = stages.get(k, 0.0) + v - b.get("cpu_ms", {}).get(k, 0.0)
    n = max(1, frames)
    out = {
        "sessions": len(clients),
        "span": span,
        "drop": dropped / max(1, frames + dropped),
        "fps": frames / span / len(clients),
        "cpu_frame": 1000 * cpu / n,
        "reused": reused / n,
        "rendered": frames - reused,
    }
    for k, v in stages.items():
        out[f"cpu_{k}"] = v / max(1, frames - reused) if k in ("render", "jpeg") else v / n
    return out


STAGES = ("cpu_render", "cpu_jpeg", "cpu_vp8", "cpu_h264", "cpu_tts")


def _stage_line(m: dict[str, float]) -> str:
    parts = [f"{k[4:]} {m[k]:.2f}" for k in STAGES if k in m]
    known = sum(
        m[k] * (1 - m["reused"]) if k in ("cpu_render", "cpu_jpeg") else m[k]
        for k in STAGES
        if k in m
    )
    parts.append(f"loop+transport+rest {m['cpu_frame'] - known:.2f}")
    return ", ".join(parts)


async def bench_ramp(
    port: int,
    fps: int,
    max_sessions: int,
    hold: float,
    step: int,
    start: int = 1,
    idle: bool = False,
    transport: str = "ws",
) -> int:
    doing = "idle (nobody talks)" if idle else "each session talking"
    print(f"concurrency ramp at {fps} fps over {transport} ({doing}; pass = < 1% dropped):")
    clients: list[Any] = []
    best = 0
    n_target = start
    while n_target <= max_sessions:
        while len(clients) < n_target:
            clients.append(await _connect(transport, port, len(clients)))
        await asyncio.sleep(3.0)  # settle after the rig/renderer set-up of the new sessions
        counts = [len(c.video) for c in clients]
        m = await _measure(port, clients, hold, idle)
        received = sum(len(c.video) - k for c, k in zip(clients, counts, strict=True))
        cpu_bound = (os.cpu_count() or 1) * 1000 / (m["cpu_frame"] * fps)
        ok = m["drop"] < 0.01
        print(
            f"  {len(clients):3d} sessions: {m['fps']:5.1f} fps/session  dropped "
            f"{100 * m['drop']:5.2f}%  reused {100 * m['reused']:3.0f}%  server CPU "
            f"{m['cpu_frame']:4.2f} ms/frame → ≈{cpu_bound:4.1f} sessions if both cores were"
            f" ours  {'ok' if ok else 'FAIL'}  (client got {received / m['span']:.0f} frames/s)"
        )
        print(f"      CPU ms per frame by stage: {_stage_line(m)}")
        if not ok:
            break
        best = len(clients)
        n_target = step if n_target == 1 else n_target + step
    for c in clients:
        await c.close()
    print(
        f"  most concurrent {fps} fps {'idle' if idle else 'talking'} sessions with < 1%"
        f" dropped frames: {best}"
    )
    return best


async def bench_transports(port: int, sessions: int, hold: float) -> None:
    """Server CPU per talking frame with WebSocket (JPEG) vs WebRTC (shared VP8) viewers."""
    print(f"WebSocket vs WebRTC, {sessions} talking sessions each ({hold:.0f} s):")
    results = {}
    for transport in ("ws", "webrtc"):
        clients = [await _connect(transport, port, 100 + i) for i in range(sessions)]
        await asyncio.sleep(3.0)
        m = await _measure(port, clients, hold, idle=False)
        results[transport] = m
        print(
            f"  {transport:6s}: server CPU {m['cpu_frame']:4.2f} ms/frame, dropped "
            f"{100 * m['drop']:4.2f}%  ({_stage_line(m)})"
        )
        for c in clients:
            await c.close()
        await asyncio.sleep(2.0)
    d = results["webrtc"]["cpu_frame"] - results["ws"]["cpu_frame"]
    print(f"  a WebRTC viewer costs {d:+.2f} ms of server CPU per frame more than a WebSocket one")


async def soak(port: int, seconds: float, server_pid: int, sessions: int) -> None:
    """``sessions`` talking sessions for ``seconds``: RSS growth after the first minute's
    warm-up, A/V clock drift (video pts vs wall clock, audio end vs video pts), drops."""
    clients = [await Client.connect(port, i) for i in range(sessions)]
    start = time.monotonic()
    every = min(60.0, seconds / 3)
    next_print = start + every
    rss0 = _rss_mb(server_pid)
    warm: float | None = None
    print(f"soak {seconds:.0f} s with {sessions} talking sessions: RSS at start {rss0:.1f} MB")
    offsets: list[float | None] = [None] * sessions
    drift_max = 0.0
    while time.monotonic() - start < seconds:
        for c in clients:
            if c.events and c.events[-1][1].get("state") == "idle":
                await c.send(type="text", text=TALK)
        await asyncio.sleep(0.5)
        if time.monotonic() < next_print:
            continue
        next_print += every
        rss = _rss_mb(server_pid)
        warm = rss if warm is None else warm
        drifts, av = [], []
        for k, c in enumerate(clients):
            wall = c.video[-1][0] - c.video[0][0]
            video_pts = c.video[-1][1] - c.video[0][1]
            if offsets[k] is None:
                offsets[k] = video_pts - wall
            drifts.append(1000 * (video_pts - wall - (offsets[k] or 0.0)))
            if c.audio:  # delivery lag of video minus that of audio (same clock on the server)
                lag_v = c.video[-1][0] - c.video[-1][1]
                lag_a = c.audio[-1][0] - c.audio[-1][1]
                av.append(1000 * (lag_v - lag_a))
        drift_max = max(drift_max, max(abs(d) for d in drifts))
        ms = [await c.metrics() for c in clients]
        frames = sum(m["frames"] for m in ms)
        dropped = sum(m["dropped_frames"] for m in ms)
        print(
            f"  t={time.monotonic() - start:5.0f}s RSS {rss:7.1f} MB ({rss - rss0:+.1f}; since "
            f"warm-up {100 * (rss - warm) / warm:+.1f}%)  clock drift vs wall max "
            f"{max(abs(d) for d in drifts):.0f} ms  A/V skew at the client "
            f"{min(av, default=0):+.0f}..{max(av, default=0):+.0f} ms  dropped "
            f"{100 * dropped / max(1, frames + dropped):.2f}%"
        )
    print(f"  max clock drift {drift_max:.0f} ms (one frame = {1000 / 24:.0f} ms)")
    for c in clients:
        await c.close()


async def main(args: argparse.Namespace) -> None:
    port = args.port
    env = dict(os.environ, PYTHONUNBUFFERED="1", KINEMA_TTS=args.tts)
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
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"server pid {server.pid}, frames {args.size}², {args.fps} fps, tts {args.tts}, "
            f"{cpus} cpus, "
            f"load average {load} (other work on the machine skews every figure)"
        )
        if args.soak:
            await soak(port, args.soak, server.pid, args.soak_sessions)
            return
        if args.turns:
            await bench_turnaround(port, args.turns)
        if args.trials:
            await bench_barge_in(port, args.trials)
        talking = idle = None
        if not args.idle_only:
            talking = await bench_ramp(
                port,
                args.fps,
                args.max_sessions,
                args.hold,
                args.step,
                args.start,
                False,
                args.transport,
            )
        if args.idle or args.idle_only:
            idle = await bench_ramp(
                port,
                args.fps,
                args.max_idle,
                args.hold,
                args.idle_step,
                args.idle_start,
                True,
                args.transport,
            )
        if args.compare:
            await bench_transports(port, args.compare, args.hold)
        print(
            f"density ({args.size}², {args.fps} fps, < 1% dropped): talking {talking}, idle {idle}"
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
    p.add_argument("--idle", action="store_true", help="also ramp silent sessions")
    p.add_argument("--idle-only", action="store_true", help="only the idle ramp")
    p.add_argument("--max-idle", type=int, default=48)
    p.add_argument("--idle-start", type=int, default=24)
    p.add_argument("--idle-step", type=int, default=8)
    p.add_argument("--transport", choices=["ws", "webrtc"], default="ws", help="ramp transport")
    p.add_argument("--compare", type=int, default=0, help="WebSocket vs WebRTC with N sessions")
    p.add_argument("--hold", type=float, default=10.0, help="seconds per ramp step")
    p.add_argument(
        "--tts",
        default="auto",
        help="KINEMA_TTS of the server: auto (Piper for "
        "the English presets) | espeak (cheap: isolates the avatar's own cost)",
    )
    p.add_argument("--deflate", action="store_true", help="permessage-deflate on the server")
    p.add_argument("--soak", type=float, default=0.0, help="soak for this many seconds")
    p.add_argument("--soak-sessions", type=int, default=10, help="talking sessions in the soak")
    a = p.parse_args()
    if a.serve_spoken:
        serve_spoken(a.serve_spoken, a.size, a.fps)
    elif a.spoken:
        asyncio.run(spoken_main(a))
    elif a.serve:
        serve(a.serve, a.size, a.fps, a.deflate)
    else:
        asyncio.run(main(a))
