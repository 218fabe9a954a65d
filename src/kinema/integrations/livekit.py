"""A LiveKit Agents ``VideoGenerator``: Kinema's face for ``AvatarRunner``.

In the avatar worker (the participant that publishes the avatar's tracks)::

    from livekit.agents.voice.avatar import AvatarOptions, AvatarRunner
    generator = await KinemaVideoGenerator.create(portrait=image, size=512, fps=24)
    runner = AvatarRunner(room, audio_recv=audio_receiver, video_gen=generator,
                          options=generator.avatar_options())
    await runner.start()

- ``push_audio(rtc.AudioFrame)``: the agent's speech, queued on the avatar's media clock;
  ``push_audio(AudioSegmentEnd())`` ends the utterance;
- ``clear_buffer()``: the user interrupted: queued speech is dropped, the mouth closes now
  (the runner then reports the interrupted playback);
- ``async for frame in generator``: ``rtc.VideoFrame`` (RGBA) every frame period, the speech
  as ``rtc.AudioFrame`` chunks in step with it, and ``AudioSegmentEnd`` once an utterance has
  played out — the runner turns that into ``playback_finished`` for the agent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents.voice.avatar import AudioSegmentEnd, AvatarOptions, VideoGenerator

from kinema.live.avatar_service import AvatarService, PlaybackFinished
from kinema.live.frames import AudioOut, VideoOut


class KinemaVideoGenerator(VideoGenerator):
    def __init__(self, service: AvatarService) -> None:
        self.service = service
        self._rgba: np.ndarray | None = None

    @classmethod
    async def create(cls, **options: Any) -> KinemaVideoGenerator:
        """``AvatarService.create`` options: portrait / rig / rig_id, size, fps, audio_rate."""
        return cls(await AvatarService.create(**options))

    def avatar_options(self) -> AvatarOptions:
        size = getattr(self.service.renderer, "size", 512)
        return AvatarOptions(
            video_width=size,
            video_height=size,
            video_fps=self.service.clock.fps,
            audio_sample_rate=self.service.clock.audio_rate,
            audio_channels=1,
        )

    async def push_audio(self, frame: rtc.AudioFrame | AudioSegmentEnd) -> None:
        if isinstance(frame, AudioSegmentEnd):
            self.service.flush()
        else:
            await self.service.push_audio(frame)

    def clear_buffer(self) -> None:
        self.service.clear_buffer()

    def __aiter__(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        async for item in self.service:
            if isinstance(item, VideoOut):
                yield self._video(item.image)
            elif isinstance(item, AudioOut):
                if item.speaking:  # the runner counts playback from the audio it is given
                    n = len(item.samples)
                    data = item.samples.astype("<i2", copy=False).tobytes()
                    yield rtc.AudioFrame(data, item.rate, 1, n)
            elif isinstance(item, PlaybackFinished) and not item.interrupted:
                yield AudioSegmentEnd()  # (an interruption is reported by the runner itself)

    def _video(self, image: np.ndarray) -> rtc.VideoFrame:
        h, w = image.shape[:2]
        if self._rgba is None or self._rgba.shape[:2] != (h, w):
            self._rgba = np.full((h, w, 4), 255, np.uint8)
        self._rgba[..., :3] = image
        return rtc.VideoFrame(w, h, rtc.VideoBufferType.RGBA, self._rgba.tobytes())

    async def aclose(self) -> None:
        await self.service.aclose()
