"""A Pipecat frame processor that gives the bot Kinema's face.

Place it after the TTS service and before the output transport::

    pipeline = Pipeline([transport.input(), stt, llm, tts, KinemaVideoService(portrait=image),
                         transport.output()])

- ``TTSAudioRawFrame``: queued on the avatar's media clock; the processor then emits the same
  speech as ``TTSAudioRawFrame`` chunks (one per video frame period) interleaved with
  ``OutputImageRawFrame`` video frames, so audio and lips leave together, with pts on one
  timeline. Between utterances it keeps emitting idle frames (breathing, blinks).
- ``TTSStoppedFrame``: the utterance is complete; passed on.
- ``InterruptionFrame``: the queued speech is dropped and the mouth closes at once.
- ``EndFrame`` / ``CancelFrame``: the avatar stops; everything else passes through unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InterruptionFrame,
    OutputImageRawFrame,
    StartFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from kinema.live.avatar_service import AvatarService, PlaybackFinished
from kinema.live.frames import AudioOut, VideoOut

NS = 1_000_000_000  # pipecat pts are nanoseconds


class KinemaVideoService(FrameProcessor):
    """TTS audio in; synchronised avatar video and audio out (see the module docstring).

    Pass a started ``service`` (``AvatarService``), or ``portrait`` / ``rig`` / ``rig_id`` and
    ``size`` / ``fps`` to build one when the pipeline starts.
    """

    def __init__(
        self,
        *,
        service: AvatarService | None = None,
        portrait: np.ndarray | None = None,
        rig: Any = None,
        rig_id: str | None = None,
        size: int = 512,
        fps: int = 24,
        audio_rate: int = 24000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if service is None and portrait is None and rig is None and rig_id is None:
            raise ValueError("KinemaVideoService needs a service, portrait, rig or rig_id")
        self._service = service
        self._build: dict[str, Any] = {"portrait": portrait, "rig": rig, "rig_id": rig_id}
        self._options: dict[str, Any] = {"size": size, "fps": fps, "audio_rate": audio_rate}
        self._pump: asyncio.Task[None] | None = None
        self.utterances_finished: list[PlaybackFinished] = []

    @property
    def service(self) -> AvatarService | None:
        return self._service

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            await self._start()
        elif isinstance(frame, TTSAudioRawFrame) and direction == FrameDirection.DOWNSTREAM:
            if self._service is not None:
                await self._service.push_audio(frame)  # re-emitted in sync with the video
        elif isinstance(frame, TTSStoppedFrame):
            if self._service is not None:
                self._service.flush()
            await self.push_frame(frame, direction)
        elif isinstance(frame, InterruptionFrame):
            if self._service is not None:
                self._service.clear_buffer()
            await self.push_frame(frame, direction)
        elif isinstance(frame, EndFrame | CancelFrame):
            await self._stop()
            await self.push_frame(frame, direction)
        else:
            await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._stop()

    async def _start(self) -> None:
        if self._service is None:
            self._service = await AvatarService.create(**self._build, **self._options)
        else:
            await self._service.start()
        if self._pump is None:
            self._pump = self.create_task(self._forward())

    async def _stop(self) -> None:
        if self._pump is not None:
            await self.cancel_task(self._pump)
            self._pump = None
        if self._service is not None:
            await self._service.aclose()

    async def _forward(self) -> None:
        assert self._service is not None
        async for item in self._service:
            if isinstance(item, VideoOut):
                h, w = item.image.shape[:2]
                image = OutputImageRawFrame(image=item.image.tobytes(), size=(w, h), format="RGB")
                image.pts = round(item.t * NS)
                await self.push_frame(image)
            elif isinstance(item, AudioOut):
                if item.speaking:  # silence is the output transport's business
                    audio = TTSAudioRawFrame(
                        audio=item.samples.astype("<i2", copy=False).tobytes(),
                        sample_rate=item.rate,
                        num_channels=1,
                    )
                    audio.pts = round(item.t * NS)
                    await self.push_frame(audio)
            elif isinstance(item, PlaybackFinished):
                self.utterances_finished.append(item)
