"""WebRTC signalling end to end with aiortc as the client: consume → POST the offer → RUNNING,
video frames on the track, a ``client_event`` tool on the data channel, COMPLETED on hang-up."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from browser_env import free_port, kinema_server
from studio_helpers import PRESET, VERSION

from kinema.config import Settings
from kinema.platform import accounts, db

pytestmark = pytest.mark.slow

TOOL = {"type": "client_event", "name": "show_pricing", "description": "Show the pricing table."}


@pytest.fixture
def server(tmp_path):
    settings = Settings(home=tmp_path / "home", live_size=256)  # type: ignore[arg-type]
    db.migrate(settings)
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "rtc", credits=10)
        _, key = accounts.create_key(s, org.id)
    with kinema_server(settings, free_port(), run_tasks=False) as url:
        yield url, {"Authorization": f"Bearer {key}", **VERSION}


def _ready(url: str, headers: dict) -> dict:
    body = {"model": "gwm1_avatars", "avatar": PRESET, "tools": [TOOL]}
    sid = httpx.post(f"{url}/v1/realtime_sessions", json=body, headers=headers).json()["id"]
    deadline = time.monotonic() + 60
    while (s := httpx.get(f"{url}/v1/realtime_sessions/{sid}", headers=headers).json())[
        "status"
    ] == "NOT_READY":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return s


async def _talk(offer_url: str, token: str) -> tuple[list[dict], int]:
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    channel = pc.createDataChannel("kinema")
    events: asyncio.Queue[dict] = asyncio.Queue()
    opened = asyncio.Event()
    channel.on("open", opened.set)
    channel.on("message", lambda m: events.put_nowait(json.loads(m)))
    frames = 0

    async def count(track) -> None:  # type: ignore[no-untyped-def]
        nonlocal frames
        while True:
            await track.recv()
            frames += 1

    readers: list[asyncio.Task[None]] = []
    pc.on("track", lambda t: t.kind == "video" and readers.append(asyncio.create_task(count(t))))
    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient() as client:
        offer = {"sdp": pc.localDescription.sdp, "type": "offer"}
        bad = await client.post(offer_url, json=offer, headers={"Authorization": "Bearer ct_nope"})
        assert bad.status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        r = await client.post(offer_url, json=offer, headers=auth)
        assert r.status_code == 200, r.text
        again = await client.post(offer_url, json=offer, headers=auth)
        assert again.status_code == 409, again.text  # the token connects once
        assert r.json()["resumeToken"].startswith("rt_")
    answer = r.json()
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    await asyncio.wait_for(opened.wait(), 15)
    channel.send(json.dumps({"type": "text", "text": "Can you show pricing please?"}))
    seen: list[dict] = []
    while not any(e["type"] == "client_event" for e in seen):
        seen.append(await asyncio.wait_for(events.get(), 20))
    deadline = time.monotonic() + 10
    while frames < 10 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for task in readers:
        task.cancel()
    await pc.close()
    return seen, frames


def test_webrtc_offer_runs_the_session_and_delivers_tools(server):
    url, headers = server
    ready = _ready(url, headers)
    details = httpx.post(
        f"{url}/v1/realtime_sessions/{ready['id']}/consume",
        headers={"Authorization": f"Bearer {ready['sessionKey']}"},
    ).json()
    events, frames = asyncio.run(_talk(details["webrtc"]["offerUrl"], details["token"]))
    tool = next(e for e in events if e["type"] == "client_event")
    assert tool["name"] == "show_pricing" and "pricing" in tool["args"]["text"]
    assert frames >= 10
    deadline = time.monotonic() + 30  # aiortc notices the hang-up, the session ends
    while (s := httpx.get(f"{url}/v1/realtime_sessions/{ready['id']}", headers=headers).json())[
        "status"
    ] == "RUNNING":
        assert time.monotonic() < deadline, s
        time.sleep(0.2)
    assert s["status"] == "COMPLETED"
    detail = httpx.get(f"{url}/v1/live/sessions/{ready['id']}", headers=headers).json()
    m = detail["metrics"]
    lost = m["dropped_frames"] - m.get("late_skipped", 0)  # by the outlet, not by a busy CPU
    print("webrtc: frames lost in the outlet", lost, "of", m["frames"], m)
    # frames that piled up before the peer's sender started are not a slow client's drops
    assert lost <= 4, m
