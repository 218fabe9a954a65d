"""Shared video encodes: one encode per session frame and codec, whatever the viewer count."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from fastapi import FastAPI

from kinema.live.encode import CODECS, VideoEncoder, packet_of
from kinema.live.session import LiveSession, SessionConfig
from kinema.live.transport.webrtc import active_peers, answer_webrtc_offer

from .fakes import fake_engines
from .loopback import LoopbackServer
from .rtc_client import RtcClient
from .test_websocket import COLORS

pytestmark = pytest.mark.timeout(60)


def _frames(n: int, size: int = 64) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size]
    return [
        np.dstack([(xx * 4 + 8 * i) % 256, (yy * 4) % 256, np.full_like(xx, 90)]).astype(np.uint8)
        for i in range(n)
    ]


@pytest.mark.parametrize("codec", CODECS)
def test_encoder_keyframes_on_request_and_decodes_back(codec: str) -> None:
    enc = VideoEncoder(codec, (64, 64), 24, 500_000)
    dec = av.CodecContext.create("h264" if codec == "h264" else "vp8", "r")
    images = _frames(12)
    out = [enc.encode(im, i) for i, im in enumerate(images)]
    assert all(f is not None for f in out)
    keys = [f.keyframe for f in out if f]
    assert keys[0] and not any(keys[1:])  # the first frame only
    assert [f.seq for f in out if f] == list(range(1, 13))
    enc.request_keyframe()
    assert enc.due(12, 24)  # a requested keyframe is encoded even for a repeated picture
    key = enc.encode(images[-1], 12, repeat=True)
    assert key is not None and key.keyframe
    decoded = []
    for f in [*out, key]:
        assert f is not None
        for frame in dec.decode(packet_of(f, 0.0)):
            decoded.append(frame.to_ndarray(format="rgb24"))
    err = np.abs(decoded[-1].astype(int) - images[-1].astype(int)).mean()
    assert err < 12, err
    assert enc.due(13, 24)  # one repeat right after a keyframe (receivers complete it)
    enc.encode(images[-1], 13, repeat=True)
    assert not enc.due(14, 24) and enc.due(13 + 24, 24)  # then once a second


async def test_two_viewers_share_one_encode_per_frame() -> None:
    app = FastAPI()
    session = await LiveSession(fake_engines("Ada", COLORS[0]), SessionConfig()).start()

    @app.post("/offer")
    async def offer(body: dict) -> dict:
        sdp, kind = await answer_webrtc_offer(body["sdp"], body["type"], session)
        return {"sdp": sdp, "type": kind}

    async with LoopbackServer(app) as srv:
        a = await RtcClient.connect(srv.url("/offer", "http"))
        b = await RtcClient.connect(srv.url("/offer", "http"))
        a.send(type="text", text="who are you")
        await a.wait_for("turn_metrics", timeout=5)
        await asyncio.sleep(0.3)
        (encoder,) = session._encoders.values()  # one for both viewers
        rendered = session.stats.frames - session.stats.reused
        assert encoder.frames <= session.stats.frames  # never one per viewer
        assert encoder.frames >= rendered - 2
        for c in (a, b):
            assert any(v[2] for v in c.video) and not c.video[-1][2]  # mouth opened, then shut
            assert np.abs(c.video[-1][3][2, 2].astype(int) - COLORS[0]).max() < 20
        await a.close()
        await b.close()
        await session.close()
        assert not session._encoders
        for _ in range(50):  # the server side peers close with the session, asynchronously
            if not active_peers():
                break
            await asyncio.sleep(0.1)
        assert active_peers() == 0
        for _ in range(50):  # the server's peers close with the session
            if not active_peers():
                break
            await asyncio.sleep(0.1)
        assert active_peers() == 0
