"""A live session over WebRTC (aiortc): video + audio tracks out, data channel both ways, mic in.

Signalling is one HTTP round trip handled by the API layer: the client posts its offer, the
server gathers its ICE candidates and answers (no trickle). STUN/TURN servers come from settings
(``kinema.live.ice``) and go to both peers, so sessions work beyond a LAN.
``answer_webrtc_offer`` does the WebRTC part and is framework-free.

- video track: the session's frames, pts on a 90 kHz clock derived from the session clock,
  encoded once per session and codec and shared by its viewers (``kinema.live.encode``);
- audio track: 48 kHz mono, 20 ms frames, silence when the avatar is not speaking;
- data channel (any label the client opens): the JSON messages of ``transport.protocol`` in,
  the session's events (state, caption, transcript, turn_metrics, client_event, closed) out;
- a microphone track from the client is resampled to 16 kHz and fed to the session's VAD/ASR.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from fractions import Fraction
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.exceptions import InvalidStateError
from aiortc.mediastreams import MediaStreamError

from kinema.errors import InvalidInput
from kinema.live.encode import CODECS, VideoEncoder, packet_of
from kinema.live.ice import IceConfig, ice_config
from kinema.live.outlet import Outlet
from kinema.live.session import MIC_RATE, LiveSession
from kinema.live.transport.protocol import MAX_TEXT_MESSAGE, ClientState, handle_message
from kinema.media.audio import resample

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000
AUDIO_FRAME = 960  # 20 ms at 48 kHz
FALLBACK_GRACE = 3.0  # seconds a session outlives its failed peer, for a WebSocket fallback
CONNECT_TIMEOUT = 15.0  # seconds a peer may take from the answer to "connected"


class SessionVideoTrack(MediaStreamTrack):
    """The session's frames for one peer; pts come from the session clock, not recv().

    Bound to a codec (``bind``), it hands aiortc the session's shared encode of each frame
    (``av.Packet``: aiortc only packetizes it); frames that repeat the previous image carry no
    encode and are skipped. Unbound it returns raw ``av.VideoFrame``s (aiortc encodes).
    """

    kind = "video"

    def __init__(self, outlet: Outlet, session: LiveSession | None = None) -> None:
        super().__init__()
        self._outlet = outlet
        self._session = session
        self.codec: str | None = None
        self.encoder: VideoEncoder | None = None
        self._seq: int | None = None  # last encoded frame sent
        self.keyframe_waits = 0  # times this viewer had to wait for a keyframe (gaps, PLI)

    def bind(self, codec: str) -> None:
        if self._session is not None and self.codec is None and codec in CODECS:
            self.codec, self.encoder = codec, self._session.want_video(codec)

    def unbind(self) -> None:
        if self._session is not None and self.codec is not None:
            self._session.unwant_video(self.codec)
            self.codec = self.encoder = None

    def request_keyframe(self) -> None:
        """A PLI/FIR from the receiver: the next shared encode is a keyframe."""
        if self.encoder is not None:
            self.encoder.request_keyframe()
            self._seq = None

    async def recv(self) -> av.VideoFrame | av.Packet:
        if self._outlet.video.paused:  # the sender pulls: media flows from now on
            self._outlet.video.paused = False
            self.request_keyframe()  # what was encoded before never reached this viewer
        while True:
            frame = await self._outlet.video.get()
            if frame is None:
                self.unbind()
                self.stop()
                raise MediaStreamError
            if self.codec is None:
                out = av.VideoFrame.from_ndarray(frame.image, format="rgb24")
                out.pts = round(frame.t * VIDEO_CLOCK)
                out.time_base = Fraction(1, VIDEO_CLOCK)
                return out
            encoded = frame.encoded.get(self.codec)
            if encoded is None:
                continue  # the same picture as before: nothing to send
            if not encoded.keyframe and (self._seq is None or encoded.seq != self._seq + 1):
                # first frame, or a frame was dropped/flushed on the way: the decoder lost
                # its reference, wait for a keyframe (asked for once per gap)
                if self._seq is not None and self.encoder is not None:
                    self.encoder.request_keyframe()  # once per gap
                    self.keyframe_waits += 1
                self._seq = None
                continue
            self._seq = encoded.seq
            return packet_of(encoded, frame.t)


class SessionAudioTrack(MediaStreamTrack):
    """The session's audio re-cut into 20 ms 48 kHz frames; pts = sample index on its timeline."""

    kind = "audio"

    def __init__(self, outlet: Outlet) -> None:
        super().__init__()
        self._outlet = outlet
        self._buffer = np.zeros(0, np.int16)
        self._pts = 0  # timeline index (48 kHz) of self._buffer[0]

    async def recv(self) -> av.AudioFrame:
        self._outlet.audio.paused = False
        while len(self._buffer) < AUDIO_FRAME:
            chunk = await self._outlet.audio.get()
            if chunk is None:
                self.stop()
                raise MediaStreamError
            samples = resample(chunk.samples, chunk.rate, AUDIO_RATE)
            start = chunk.start * AUDIO_RATE // chunk.rate
            if start != self._pts + len(self._buffer):  # a flush left a gap: restart there
                self._buffer, self._pts = samples, start
            else:
                self._buffer = np.concatenate([self._buffer, samples])
        data, self._buffer = self._buffer[:AUDIO_FRAME], self._buffer[AUDIO_FRAME:]
        out = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        out.sample_rate = AUDIO_RATE
        out.pts = self._pts
        out.time_base = Fraction(1, AUDIO_RATE)
        self._pts += AUDIO_FRAME
        return out


def _video_preferences() -> list[Any]:
    """aiortc's video codecs, the ones cheapest to encode first (H.264, then VP8)."""
    from aiortc import RTCRtpSender

    def rank(c: Any) -> int:
        name = c.mimeType.split("/")[-1].lower()
        return CODECS.index(name) if name in CODECS else len(CODECS)

    return sorted(RTCRtpSender.getCapabilities("video").codecs, key=rank)


class WebRtcPeer:
    """One client's peer connection bound to one session; closes with it."""

    def __init__(
        self,
        session: LiveSession,
        kinds: tuple[str, ...] = ("audio", "video"),
        ice: IceConfig | None = None,
    ) -> None:
        self.session = session
        self.ice = ice if ice is not None else ice_config(session_id=session.id)
        self.pc = RTCPeerConnection(self.ice.aiortc())
        # greet once connected; media waits for the tracks' first pull (after ICE and DTLS):
        # frames made before would only pile up in the outlet and be dropped
        self.outlet = session.subscribe(greet=False, paused=True)
        self.state = ClientState()
        self.channels: list[RTCDataChannel] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self._connected = False  # reached "connected" once
        self._left = False
        self.video: SessionVideoTrack | None = None
        if "audio" in kinds:
            self.pc.addTrack(SessionAudioTrack(self.outlet))
        if "video" in kinds:
            self.video = SessionVideoTrack(self.outlet, session)
            sender = self.pc.addTrack(self.video)
            for t in self.pc.getTransceivers():
                if t.sender is sender:  # offer the cheapest codecs to encode first
                    t.setCodecPreferences(_video_preferences())
        self.pc.on("datachannel", self._on_channel)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)
        self._spawn(self._pump_events())
        self._spawn(self._close_with_session())
        self._spawn(self._keep_alive())

    def bind_video(self) -> None:
        """After negotiation: share the session's encode of the codec this peer agreed on,
        and route the receiver's keyframe requests (PLI/FIR) to it."""
        if self.video is None:
            return
        for t in self.pc.getTransceivers():
            if t.sender.track is self.video and t._codecs:  # aiortc: the negotiated codecs
                codec = t._codecs[0].mimeType.split("/")[-1].lower()
                self.video.bind(codec)
                if self.video.codec is not None:
                    t.sender._send_keyframe = self.video.request_keyframe  # type: ignore[method-assign]

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _on_channel(self, channel: RTCDataChannel) -> None:
        self.channels.append(channel)

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            if isinstance(message, bytes):
                return
            if len(message) > MAX_TEXT_MESSAGE:
                self.outlet.events.put(
                    {"type": "error", "message": f"a JSON message may be at most "
                     f"{MAX_TEXT_MESSAGE} bytes"}
                )  # fmt: skip
                return
            try:
                data = json.loads(message)
            except (ValueError, RecursionError):  # RecursionError: nested too deeply
                self.outlet.events.put({"type": "error", "message": "messages must be JSON"})
                return
            self._spawn(handle_message(self.session, self.outlet, self.state, data))

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._pump_microphone(track))

    async def _on_connection_state(self) -> None:
        if self.pc.connectionState == "connected":
            self._connected = True
            self.session.greet()
        elif self.pc.connectionState in ("failed", "closed"):
            await self._leave()

    async def _leave(self) -> None:
        """This peer is gone. A client that fell back to the WebSocket transport keeps the
        session: close it only when no other consumer joins within ``FALLBACK_GRACE``."""
        if self._left:
            return
        self._left = True
        self.session.unsubscribe(self.outlet, count_drops=self._connected)
        deadline = asyncio.get_running_loop().time() + FALLBACK_GRACE
        while not self.session.consumers and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        if not self.session.consumers:
            await self.session.close("client_disconnected")
        else:
            await self.close()

    async def _keep_alive(self) -> None:
        """A connected peer is a live client (ICE consent checks keep it honest) even if it
        never sends a message: it keeps the session's idle timeout from firing."""
        interval = max(0.05, min(1.0, self.session.config.idle_timeout / 4))
        deadline = asyncio.get_running_loop().time() + CONNECT_TIMEOUT
        while not self.session.is_closed and not self._left:
            if self.pc.connectionState == "connected":
                self.session.touch()
            elif not self._connected and asyncio.get_running_loop().time() > deadline:
                await self._leave()  # the client gave up (e.g. fell back) before connecting
                return
            await asyncio.sleep(interval)

    async def _pump_events(self) -> None:
        """Events wait in the outlet until the client's data channel is open; none are lost."""
        while True:
            open_ = [c for c in self.channels if c.readyState == "open"]
            if not open_ and not self.outlet.closed:
                await asyncio.sleep(0.02)
                continue
            event = await self.outlet.events.get()
            if event is None:
                return
            text = json.dumps(event, default=str)
            for channel in self.channels:
                if channel.readyState == "open":  # re-checked: the client may have left
                    with contextlib.suppress(InvalidStateError):
                        channel.send(text)

    async def _pump_microphone(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=MIC_RATE)
        with contextlib.suppress(MediaStreamError):
            while not self.session.is_closed:
                frame = await track.recv()
                if not isinstance(frame, av.AudioFrame):
                    continue
                if self.session.engines is None or self.session.engines.vad is None:
                    continue  # no speech input configured: ignore the microphone
                for out in resampler.resample(frame):
                    self.session.push_audio(out.to_ndarray().reshape(-1), MIC_RATE)

    async def _close_with_session(self) -> None:
        await self.session.closed.wait()
        await asyncio.sleep(0.2)  # let the "closed" event leave on the data channel
        await self.close()

    async def close(self) -> None:
        if self.video is not None:
            self.video.unbind()
        self.session.unsubscribe(self.outlet)
        current = asyncio.current_task()
        for task in list(self.tasks):
            if task is not current:
                task.cancel()
        await self.pc.close()
        _PEERS.discard(self)


_PEERS: set[WebRtcPeer] = set()


async def answer_webrtc_offer(
    offer_sdp: str, offer_type: str, session: LiveSession, *, ice: IceConfig | None = None
) -> tuple[str, str]:
    """Accept a client's offer for ``session`` (started); returns the answer ``(sdp, type)``.

    ``ice``: STUN/TURN servers and policy of the server's peer (default: from settings, see
    ``kinema.live.ice``); the client gets the same through the connection details.
    """
    if offer_type != "offer":
        raise InvalidInput(f"type: expected 'offer', got {offer_type!r}.", field="type")
    if not offer_sdp.strip():
        raise InvalidInput("sdp: the offer is empty.", field="sdp")
    kinds = tuple(k for k in ("audio", "video") if f"\nm={k} " in "\n" + offer_sdp)
    if not kinds and "m=application" not in offer_sdp:
        raise InvalidInput("sdp: the offer has no audio, video or data section.", field="sdp")
    peer = WebRtcPeer(session, kinds, ice)
    try:
        await peer.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, offer_type))
        await peer.pc.setLocalDescription(await peer.pc.createAnswer())  # gathers candidates
        peer.bind_video()
    except (ValueError, AttributeError) as exc:
        await peer.close()
        raise InvalidInput(f"sdp: not a usable WebRTC offer ({exc}).", field="sdp") from None
    _PEERS.add(peer)
    return peer.pc.localDescription.sdp, peer.pc.localDescription.type


def active_peers() -> int:
    """Peer connections currently open (each bound to a live session)."""
    return len(_PEERS)


async def close_all_peers() -> None:
    """For application shutdown."""
    for peer in list(_PEERS):
        await peer.close()
