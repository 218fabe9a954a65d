"""WebRTC beyond the LAN: STUN/TURN servers from settings on both peers, media through a real
TURN relay (coturn on loopback) with host candidates disabled, no dropped frames at the start."""

from __future__ import annotations

import asyncio
import os
import signal

import numpy as np
import pytest
from fastapi import FastAPI

from kinema.config import Settings
from kinema.live.ice import IceConfig, ice_config, parse_servers, turn_rest_credentials
from kinema.live.session import LiveSession, SessionConfig
from kinema.live.transport import webrtc
from kinema.live.transport.webrtc import answer_webrtc_offer

from .fakes import fake_engines
from .loopback import LoopbackServer
from .rtc_client import RtcClient
from .test_websocket import COLORS
from .turn import TURN_PASSWORD, TURN_USER, turn_server

pytestmark = pytest.mark.timeout(90)


def _nominated(pc) -> list:  # type: ignore[no-untyped-def]
    """The ICE candidate pairs a peer connection is sending on (one per transport)."""
    pairs = []
    for t in pc.getTransceivers():
        ice = t.receiver.transport.transport
        pairs.extend(ice._connection._nominated.values())
    return pairs


def _candidate_types(sdp: str) -> set[str]:
    return {line.split(" typ ")[1].split()[0] for line in sdp.splitlines() if " typ " in line}


@pytest.mark.parametrize("auth", ["static-user", "rest-secret"])
async def test_media_relays_through_turn_with_host_candidates_disabled(auth: str) -> None:
    secret = "kinema-rest-secret" if auth == "rest-secret" else None
    with turn_server(auth_secret=secret) as turn:
        server_entry = {"urls": [turn.url]}
        if secret is None:
            server_entry |= {"username": TURN_USER, "credential": TURN_PASSWORD}
        settings = Settings(
            live_ice_servers=[server_entry],
            live_ice_transport_policy="relay",
            live_turn_secret=secret or "",
        )
        app = FastAPI()
        sessions: list[LiveSession] = []
        answers: list[str] = []

        @app.post("/offer")
        async def offer(body: dict) -> dict:
            session = await LiveSession(fake_engines("Ada", COLORS[0]), SessionConfig()).start()
            sessions.append(session)
            ice = ice_config(settings, session_id=session.id)  # what the server peer uses
            sdp, kind = await answer_webrtc_offer(body["sdp"], body["type"], session, ice=ice)
            answers.append(sdp)
            return {"sdp": sdp, "type": kind}

        # the browser side takes the servers from the connection details (same settings)
        details = ice_config(settings, session_id="client").browser()
        assert details["iceTransportPolicy"] == "relay"
        if secret:  # short-lived credentials, never the secret
            assert details["iceServers"][0]["username"].endswith(":client")
            assert details["iceServers"][0]["credential"] != secret
        client_config = IceConfig(tuple(parse_servers(details["iceServers"])), "relay").aiortc()

        async with LoopbackServer(app) as srv:
            c = await RtcClient.connect(srv.url("/offer", "http"), config=client_config)
            offer_sdp = c.pc.localDescription.sdp
            assert _candidate_types(offer_sdp) == {"relay"}, "the client offered non-relay"
            assert _candidate_types(answers[0]) == {"relay"}, "the server answered non-relay"
            await asyncio.sleep(1.5)
            # a still face is sent once a second (repeats are not re-encoded); audio runs on
            assert c.video and len(c.audio) >= 50, "media flows through the relay"
            server_pc = next(p.pc for p in webrtc._PEERS if p.session is sessions[0])
            for pc in (c.pc, server_pc):
                pairs = _nominated(pc)
                assert pairs and all(p.local_candidate.type == "relay" for p in pairs)
            # the colour of this session's avatar came through the relay
            assert np.abs(c.video[-1][3][2, 2].astype(int) - COLORS[0]).max() < 20

            # a turn through the relay: every speaking frame arrives
            n_video = len(c.video)
            c.send(type="text", text="who are you")
            _, cap = await c.wait_for("caption", timeout=5)
            assert cap["text"] == "I am Ada."
            await c.wait_for("turn_metrics", timeout=5)
            await asyncio.sleep(0.3)
            # the mouth opened (and shut again) on the video, the voice came with it
            mouths = [v[2] for v in c.video[n_video:]]
            assert True in mouths and mouths[-1] is False
            assert len([rms for _, _, rms in c.audio if rms > 1000]) >= 40  # ≥ 0.8 s of voice
            session = sessions[0]
            m = session.metrics()  # (late skips are the machine's load, not the transport)
            assert m["dropped_frames"] - m["late_skipped"] == 0, "frames dropped at the start"

            # no other path: with the relay frozen media stops, and it resumes with the relay
            os.kill(turn.proc.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(0.4)
                n = len(c.audio)
                await asyncio.sleep(1.0)
                assert len(c.audio) <= n + 2, "media kept flowing without the TURN server"
            finally:
                os.kill(turn.proc.pid, signal.SIGCONT)
            await asyncio.sleep(1.0)
            assert len(c.audio) > n + 20, "media did not resume through the relay"
            await c.close()
            await session.close()
            for _ in range(50):  # the server's peer is closed and freed with the session
                if not webrtc.active_peers():
                    break
                await asyncio.sleep(0.1)
            assert webrtc.active_peers() == 0


def test_ice_settings_are_validated_and_passed_on() -> None:
    s = Settings(
        live_ice_servers=[
            "stun:stun.example.com:3478",
            {"urls": "turn:turn.example.com:3478", "username": "u", "credential": "p"},
        ]
    )
    cfg = ice_config(s)
    assert cfg.browser() == {
        "iceServers": [
            {"urls": ["stun:stun.example.com:3478"]},
            {"urls": ["turn:turn.example.com:3478"], "username": "u", "credential": "p"},
        ],
        "iceTransportPolicy": "all",
    }
    rtc = cfg.aiortc()
    assert [srv.urls for srv in rtc.iceServers] == [
        ["stun:stun.example.com:3478"],
        ["turn:turn.example.com:3478"],
    ]
    assert ice_config(Settings()).browser() == {"iceServers": [], "iceTransportPolicy": "all"}
    with pytest.raises(ValueError, match=r"live_ice_servers\[0\]"):
        Settings(live_ice_servers=["http://not-a-turn-server"])
    with pytest.raises(ValueError, match="username"):
        parse_servers([{"urls": "turn:x:3478", "username": "only"}])
    with pytest.raises(ValueError, match="relay"):
        ice_config(Settings(live_ice_transport_policy="relay"))  # relay without a TURN server


def test_turn_rest_credentials_follow_the_coturn_scheme() -> None:
    import base64
    import hashlib
    import hmac

    user, cred = turn_rest_credentials("s3cret", "sess", ttl=60, now=1000.0)
    assert user == "1060:sess"
    assert (
        cred == base64.b64encode(hmac.new(b"s3cret", b"1060:sess", hashlib.sha1).digest()).decode()
    )


def test_connection_details_carry_the_ice_servers_to_the_browser() -> None:
    from kinema.api.live.sessions import connection_details

    settings = Settings(
        public_url="https://kinema.example.com",
        live_ice_servers=[{"urls": ["turn:turn.example.com:3478"]}],
        live_turn_secret="s3cret",
        live_ice_transport_policy="relay",
    )
    details = connection_details(None, settings, "sess1", "tok")  # type: ignore[arg-type]
    rtc = details["webrtc"]
    assert rtc["offerUrl"].startswith("https://kinema.example.com/v1/live/webrtc/sess1/offer")
    assert rtc["iceTransportPolicy"] == "relay"
    (server,) = rtc["iceServers"]
    assert server["urls"] == ["turn:turn.example.com:3478"]
    assert server["username"].endswith(":sess1") and server["credential"]
