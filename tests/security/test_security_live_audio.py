"""Live microphone audio cannot exhaust memory: noise the VAD takes for endless speech, sent
faster than real time, is cut into bounded utterances and bounded recognition work."""

from __future__ import annotations

import asyncio
import json
import tracemalloc

import numpy as np
import pytest
from sec_fakes import SlowTranscriber, fake_engines

from kinema.errors import InvalidInput
from kinema.live.session import MIC_RATE, LiveSession, SessionConfig


@pytest.mark.slow
async def test_twenty_minutes_of_noise_keep_memory_bounded() -> None:
    transcriber = SlowTranscriber()
    session = await LiveSession(
        fake_engines(transcriber), SessionConfig(fps=10, partial_interval=0, greet=False)
    ).start()
    events: list[dict] = []
    outlet = session.subscribe()
    rng = np.random.default_rng(0)
    chunk = MIC_RATE // 50  # 20 ms
    noise = [rng.normal(0, 6000, chunk).clip(-32000, 32000).astype(np.int16) for _ in range(50)]
    seconds = 1200  # 20 minutes, pushed as fast as the loop lets us (~38 MB of PCM)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        peak_growth = 0
        for i in range(seconds * 50):
            session.push_audio(noise[i % 50].tobytes())
            if i % 500 == 0:
                await asyncio.sleep(0)  # the loop runs the session and the recognitions
                peak_growth = max(peak_growth, tracemalloc.get_traced_memory()[1] - base)
                while (e := outlet.events.pop()) is not None:
                    events.append(e)
        await asyncio.sleep(0.5)
        peak_growth = max(peak_growth, tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()
        await session.close()
    while (e := outlet.events.pop()) is not None:
        events.append(e)
    states = [e["state"] for e in events if e["type"] == "state"]
    errors = [e["message"] for e in events if e["type"] == "error"]
    print(
        f"noise {seconds} s: peak traced growth {peak_growth / 1e6:.1f} MB, "
        f"{len(transcriber.heard)} recognitions, longest {max(transcriber.heard or [0]):.1f} s"
    )
    assert "listening" in states  # the VAD took the noise for speech
    assert any("at most 30 s" in m for m in errors)  # the client is told it was cut
    assert transcriber.heard and max(transcriber.heard) <= 30.0 + 1e-6
    assert transcriber.most <= session.config.max_recognitions
    assert peak_growth < 16e6, f"traced memory grew {peak_growth / 1e6:.0f} MB"


async def test_oversized_chunks_are_refused() -> None:
    session = await LiveSession(
        fake_engines(SlowTranscriber()), SessionConfig(fps=10, greet=False)
    ).start()
    try:
        with pytest.raises(InvalidInput, match="at most 1 s"):
            session.push_audio(np.zeros(5 * MIC_RATE, np.int16))
        session.push_audio(np.zeros(MIC_RATE // 50, np.int16))  # a normal chunk still works
    finally:
        await session.close()


def test_bad_websocket_frames_get_an_error_and_the_session_lives_on() -> None:
    from fastapi.testclient import TestClient
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    from kinema.live.transport.websocket import serve_websocket

    async def endpoint(ws: WebSocket) -> None:
        session = await LiveSession(fake_engines(), SessionConfig(fps=10, greet=False)).start()
        await serve_websocket(ws, session)

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    bad_frames = [
        "[" * 100_000 + "]" * 100_000,  # nested too deeply for the parser
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        '{"type": "text", "text": "' + "x" * 70_000 + '"}',  # larger than a control message
        '{"type": "audio", "rate": 1e400}',  # infinity
        '{"type": "audio", "rate": [1]}',
        "not json",
        "[1, 2]",
    ]
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        assert ws.receive_json()["type"] == "session"
        for i, frame in enumerate(bad_frames):
            ws.send_text(frame)
            ws.send_json({"type": "ping", "id": i})
            got = []
            while not got or got[-1].get("type") != "pong":
                message = ws.receive()
                assert message["type"] != "websocket.close", (frame[:40], got)
                if message.get("text"):
                    got.append(json.loads(message["text"]))
            errors = [e for e in got if e["type"] == "error"]
            assert errors, frame[:40]
            assert errors[0]["message"], frame[:40]
            assert got[-1]["id"] == i
        ws.send_bytes(b"\x00" * (5 * 32000))  # 5 s of 16 kHz PCM in one chunk
        ws.send_json({"type": "ping", "id": "last"})
        seen = []
        while not seen or seen[-1].get("type") != "pong":
            message = ws.receive()
            if message.get("text"):
                seen.append(json.loads(message["text"]))
        assert any("at most 1 s" in e.get("message", "") for e in seen)
