"""A spoken turn on the real ears: WebRTC VAD endpointing, Whisper partials, early final."""

from __future__ import annotations

import asyncio
import re

import numpy as np

from kinema.live.session import LiveSession, SessionConfig
from kinema.live.wiring import ASRTranscriber, VADEdges
from kinema.media.audio import resample
from kinema.voice.analysis import word_error_rate
from kinema.voice.asr import get_asr
from kinema.voice.tts import get_tts

from .collect import Collector
from .fakes import fake_engines

QUESTION = "Could you tell me when the museum opens on Sunday morning?"


class CountingTranscriber(ASRTranscriber):
    calls = 0

    def transcribe(self, audio):  # noqa: ANN001, ANN201 - test double
        self.calls += 1
        return super().transcribe(audio)


async def test_partials_while_speaking_and_the_final_transcript():
    speech = get_tts("piper").synthesize(QUESTION, "emma")
    pcm = resample(speech.audio.samples, speech.audio.rate, 16000).astype(np.int16)
    silence = np.zeros(16000, np.int16)
    engines = fake_engines()
    engines.transcriber = CountingTranscriber(get_asr("whisper"), "en-US")
    engines.vad = VADEdges()
    s = await LiveSession(engines, SessionConfig(partial_interval=0.6)).start()
    c = Collector(s)
    chunk = 320  # 20 ms, paced like a microphone
    stream = np.concatenate([silence[:4000], pcm, silence])
    for i in range(0, len(stream), chunk):
        s.push_audio(stream[i : i + chunk].tobytes())
        await asyncio.sleep(0.02)
    await c.got.wait_for("turn_metrics", timeout=15)
    await s.close()
    await c.stop()
    partials = c.got.of_type("partial_transcript")
    users = [m for m in s.transcript if m["role"] == "user"]
    assert len(users) == 1 and word_error_rate(QUESTION, users[0]["content"]) <= 0.1
    assert partials and all(p["utterance"] == 1 for p in partials)
    # a partial hears a cut-off stretch of speech, so single words may be misheard ("good" for
    # "could"); what the user sees must still be mostly the question, not noise
    asked = set(re.findall(r"[a-z']+", QUESTION.lower()))
    for p in partials:
        heard = re.findall(r"[a-z']+", p["text"].lower())
        assert heard, p
    heard = re.findall(r"[a-z']+", partials[-1]["text"].lower())
    assert sum(w in asked for w in heard) >= 0.6 * len(heard), partials[-1]
    kinds = ("partial_transcript", "transcript")
    events = [e["type"] for _, e in c.got.events if e["type"] in kinds]
    assert events.index("partial_transcript") < events.index("transcript")
    assert s.turn_records()[-1]["asr_ms"] is not None
