"""The WebRTC transport over loopback with aiortc as the client, deterministic engines."""

from __future__ import annotations

import asyncio
import time
from fractions import Fraction

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack
from fastapi import FastAPI

from kinema.live.session import LiveSession, SessionConfig
from kinema.live.transport.webrtc import active_peers, answer_webrtc_offer

from .fakes import fake_engines
from .loopback import LoopbackServer
from .rtc_client import RtcClient
from .test_websocket import COLORS, NAMES

pytestmark = pytest.mark.timeout(120)


def make_app(**cfg) -> tuple[FastAPI, dict[str, LiveSession]]:
    app = FastAPI()
    sessions: dict[str, LiveSession] = {}

    @app.post("/offer/{index}")
    async def offer(index: int, body: dict) -> dict:
        engines = fake_engines(NAMES[index], COLORS[index])
        session = await LiveSession(engines, SessionConfig(**cfg)).start()
        sessions[NAMES[index]] = session
        sdp, kind = await answer_webrtc_offer(body["sdp"], body["type"], session)
        return {"sdp": sdp, "type": kind}

    return app, sessions


async def test_webrtc_turnaround_and_barge_in():
    app, sessions = make_app()
    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer/0", "http"))
        await asyncio.sleep(0.5)
        assert c.video and c.audio, "media flows while idle"
        assert max(rms for _, _, rms in c.audio) < 50  # idle audio is silence
        t0 = c.send(type="text", text="who are you")
        await c.wait_for("turn_metrics", timeout=5)
        await asyncio.sleep(0.3)
        speaking_video = [t for t, _, open_, _ in c.video if open_ and t > t0]
        speaking_audio = [t for t, _, rms in c.audio if rms > 1000 and t > t0]
        assert speaking_video and speaking_audio
        assert speaking_video[0] - t0 < 1.0 and speaking_audio[0] - t0 < 1.0  # stall check
        assert np.abs(c.video[-1][3][2, 2].astype(int) - COLORS[0]).max() < 20

        t1 = c.send(type="text", text="tell me a long story")
        await c.wait_for("state", state="speaking", timeout=3)
        await asyncio.sleep(0.6)
        t_cut = c.send(type="interrupt")
        await c.wait_for("interrupted", timeout=2)
        await asyncio.sleep(0.5)
        late_video = [t for t, _, open_, _ in c.video if open_ and t > t1]
        late_audio = [t for t, _, rms in c.audio if rms > 1000 and t > t1]
        assert max(late_video + late_audio) - t_cut < 0.2
        after = [v for v in c.video if v[0] > t_cut]
        assert after and not after[-1][2], "the mouth shut on the video after barge-in"
        pts = [p for _, p, _, _ in c.video]
        assert pts == sorted(pts)
        await c.close()
        await asyncio.wait_for(sessions["Ada"].closed.wait(), 5)
        for _ in range(50):
            if not active_peers():
                break
            await asyncio.sleep(0.1)
        assert active_peers() == 0


async def test_webrtc_max_duration_sends_closed_event():
    app, sessions = make_app(max_duration=1.0)
    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer/3", "http"))
        _, closed = await c.wait_for("closed", timeout=5)
        assert closed["reason"] == "max_duration"
        await asyncio.sleep(0.5)
        assert sessions["Dmitri"].engines is None
        assert active_peers() == 0  # the server side peer connection was closed and freed
        await c.close()


async def test_bad_offer_is_invalid_input():
    from kinema.errors import InvalidInput

    session = await LiveSession(fake_engines(), SessionConfig()).start()
    with pytest.raises(InvalidInput):
        await answer_webrtc_offer("v=0", "answer", session)
    await session.close()


class ToneThenSilence(MediaStreamTrack):
    """A paced 48 kHz microphone: 0.6 s of a loud tone, then silence."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.start = time.monotonic()

    async def recv(self) -> av.AudioFrame:
        await asyncio.sleep(max(0.0, self.start + self.n * 0.02 - time.monotonic()))
        t = (np.arange(960) + self.n * 960) / 48000
        loud = self.n < 30
        pcm = (6000 * np.sin(2 * np.pi * 300 * t) * loud).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48000, self.n * 960, Fraction(1, 48000)
        self.n += 1
        return frame


async def test_webrtc_microphone_goes_through_vad_and_asr():
    app, sessions = make_app()
    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer/5", "http"), mic=ToneThenSilence())
        await c.wait_for("state", state="listening", timeout=5)
        _, said = await c.wait_for("transcript", role="user", timeout=5)
        assert said["content"] == "who are you"  # what the (fake) ASR heard
        _, caption = await c.wait_for("caption", timeout=5)
        assert caption["text"] == "I am Farid."
        heard = sessions["Farid"].engines.transcriber.heard
        assert heard and 0.3 < heard[0] < 2.0  # the utterance, resampled to 16 kHz, was cut out
        await c.close()
        await asyncio.wait_for(sessions["Farid"].closed.wait(), 5)
        await asyncio.sleep(0.5)


@pytest.mark.slow
async def test_ten_concurrent_webrtc_sessions_without_cross_talk():
    app, sessions = make_app()
    async with LoopbackServer(app) as srv:
        clients = []
        for i in range(10):
            clients.append(await RtcClient.connect(srv.url(f"/offer/{i}", "http")))
        for c in clients:
            c.send(type="text", text="Who are you?")
        for c in clients:
            await c.wait_for("caption", timeout=10)
        await asyncio.sleep(1.0)
        for i, c in enumerate(clients):
            caps = " ".join(e["text"] for e in c.of_type("caption"))
            assert f"I am {NAMES[i]}." in caps
            assert not any(n in caps for n in NAMES if n != NAMES[i])
            assert c.video, f"client {i} got no video"
            corner = c.video[-1][3][2, 2].astype(int)
            assert np.abs(corner - COLORS[i]).max() < 20  # its own avatar, not a neighbour's
        for c in clients:
            await c.close()
        for _ in range(50):
            if not active_peers():
                break
            await asyncio.sleep(0.1)
        assert active_peers() == 0 and all(s.is_closed for s in sessions.values())


async def test_audio_only_offer_gets_audio_and_events():
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    session = await LiveSession(fake_engines("Ines"), SessionConfig()).start()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.createDataChannel("control")
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp, kind = await answer_webrtc_offer(pc.localDescription.sdp, "offer", session)
    assert kind == "answer" and "m=audio" in sdp and "m=video" not in sdp
    await pc.setRemoteDescription(RTCSessionDescription(sdp, kind))
    await pc.close()
    await session.close()


async def test_greeting_waits_for_the_connection_and_no_event_is_lost():
    app = FastAPI()
    sessions: list[LiveSession] = []

    @app.post("/offer")
    async def offer(body: dict) -> dict:
        engines = fake_engines("Gwen", COLORS[6])
        engines.responder.greeting = lambda: "Welcome. I am Gwen."  # type: ignore[attr-defined]
        session = await LiveSession(engines, SessionConfig()).start()
        sessions.append(session)
        sdp, kind = await answer_webrtc_offer(body["sdp"], body["type"], session)
        assert not session.turns  # nothing is said before the client is connected
        return {"sdp": sdp, "type": kind}

    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer", "http"))
        await c.wait_for("turn_metrics", timeout=5)
        kinds = [e["type"] for _, e in c.events]
        assert kinds[0] == "state" and "caption" in kinds and "transcript" in kinds
        assert [e["text"] for e in c.of_type("caption")] == ["Welcome.", "I am Gwen."]
        assert any(rms > 1000 for _, _, rms in c.audio)  # the greeting was heard
        await c.close()
        await asyncio.wait_for(sessions[0].closed.wait(), 5)
        await asyncio.sleep(0.5)


async def test_connected_peer_keeps_a_silent_session_alive():
    """A viewer that never sends a message is still a live client while its peer is up."""
    app, sessions = make_app(idle_timeout=1.0)
    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer/0", "http"))
        await asyncio.sleep(2.5)  # well past idle_timeout, no client messages
        assert not sessions["Ada"].is_closed
        n = len(c.audio)
        await asyncio.sleep(0.3)
        assert len(c.audio) > n  # still streaming
        await c.close()
        await asyncio.wait_for(sessions["Ada"].closed.wait(), 8)
        assert sessions["Ada"].close_reason in ("client_disconnected", "idle_timeout")


async def test_failed_peer_leaves_the_session_to_a_fallback_consumer():
    """WebRTC → WebSocket fallback joins the same session: it must not die with the peer."""
    app, sessions = make_app()
    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer/0", "http"))
        session = sessions["Ada"]
        t0 = time.monotonic()
        await c.close()
        fallback = session.subscribe(greet=False)  # what the WebSocket transport does
        await asyncio.sleep(1.0)
        assert not session.is_closed and session.consumers == 1
        frames = len(fallback.video)
        assert frames > 0  # the fallback consumer gets frames
        session.unsubscribe(fallback)
        await session.close("client_disconnected")
        assert time.monotonic() - t0 < 5


async def test_peer_that_never_connects_leaves_without_counting_drops(monkeypatch):
    """A client that gives up before ICE connects (it fell back) is dropped after
    CONNECT_TIMEOUT; frames that piled up for it are not counted as a slow client's drops."""
    from kinema.live.transport import webrtc
    from kinema.live.transport.webrtc import WebRtcPeer

    monkeypatch.setattr(webrtc, "CONNECT_TIMEOUT", 0.5)
    session = await LiveSession(fake_engines(), SessionConfig(video_buffer=2)).start()
    peer = WebRtcPeer(session)  # no offer/answer: it never connects
    fallback = session.subscribe(greet=False)
    await asyncio.sleep(0.3)
    assert session.consumers == 2
    await asyncio.sleep(1.0)
    assert session.consumers == 1 and not session.is_closed  # the peer left, the session stays
    assert (
        session.metrics()["dropped_frames"] == fallback.video.dropped + session.stats.late_skipped
    )
    assert peer.outlet.closed
    await session.close()


async def test_no_frames_are_dropped_while_the_peer_connects():
    """Frames made between the answer and the peer's first pull (ICE + DTLS, ~1 s for a
    browser) used to pile up in its outlet and count as 20-odd dropped frames per session."""
    app, sessions = make_app()
    async with LoopbackServer(app) as srv:
        c = await RtcClient.connect(srv.url("/offer/0", "http"), answer_delay=1.0)
        c.send(type="text", text="who are you")  # speaking frames: every one is sent
        await c.wait_for("turn_metrics", timeout=5)
        assert any(v[2] for v in c.video) and len(c.audio) >= 50
        m = sessions["Ada"].metrics()  # (late skips are the machine's load)
        assert m["dropped_frames"] - m["late_skipped"] == 0 and m["dropped_audio_chunks"] == 0
        await c.close()
        await asyncio.wait_for(sessions["Ada"].closed.wait(), 5)
