"""Session runtime with deterministic engines: clock, turns, barge-in, limits, isolation."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from kinema.errors import InvalidInput
from kinema.live.session import LiveSession, SessionConfig
from kinema.live.tools import ClientTool

from .collect import Collector
from .fakes import FakeResponder, fake_engines, mouth_open


async def started(name: str = "Ada", **cfg) -> LiveSession:
    return await LiveSession(fake_engines(name), SessionConfig(**cfg)).start()


async def test_clock_stamps_frames_and_keeps_audio_contiguous():
    s = await started(fps=30, audio_rate=48000)
    c = Collector(s)
    await asyncio.sleep(0.5)
    await s.close()
    await c.stop()
    frames = [v for _, v in c.got.video]
    chunks = [a for _, a in c.got.audio]
    assert len(frames) >= 10
    assert [f.index for f in frames] == list(range(frames[0].index, frames[-1].index + 1))
    assert all(abs(f.t - f.index / 30) < 1e-9 for f in frames)
    # audio: one chunk per frame period, no gaps or overlaps, on the same timeline as video
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start == a.start + len(a.samples)
    assert all(len(a.samples) == 1600 for a in chunks)
    assert chunks[0].start == 0 and frames[0].index == 0
    assert not any(a.speaking for a in chunks)  # silence while idle, but still delivered


async def test_text_turn_streams_speech_and_returns_to_idle():
    s = await started()
    c = Collector(s)
    await s.send_text("who are you")
    await c.got.wait_for("state", state="speaking", timeout=3)
    await c.got.wait_for("turn_metrics", timeout=5)
    await c.got.wait_for("state", state="idle", timeout=2)
    await s.close()
    await c.stop()
    states = [e["state"] for e in c.got.of_type("state")]
    assert states[:4] == ["idle", "thinking", "speaking", "idle"]
    assert [m["role"] for m in s.transcript] == ["user", "assistant"]
    assert s.transcript[1]["content"] == "I am Ada. Nice to meet you."
    assert s.transcript[1]["interrupted"] is False
    speaking_frames = [v for _, v in c.got.video if v.speaking]
    assert speaking_frames and any(mouth_open(v.image) for v in speaking_frames)
    assert not any(mouth_open(v.image) for _, v in c.got.video if not v.speaking)
    rec = s.turn_records()[0]
    assert rec["turnaround_ms"] is not None and rec["turnaround_ms"] < 1000  # stall check
    assert rec["sentences"] == 2 and not rec["interrupted"]
    assert rec["frames"] > 10 and rec["render_ms_mean"] > 0 and rec["dropped_frames"] == 0


async def test_first_sentence_plays_while_brain_still_writes():
    eng = fake_engines()
    eng.responder = FakeResponder("Ada", delay=0.6)  # 0.6 s between sentences
    s = await LiveSession(eng, SessionConfig()).start()
    c = Collector(s)
    t0 = time.monotonic()
    await s.send_text("who are you")
    await c.got.wait_for("state", state="speaking", timeout=3)
    assert time.monotonic() - t0 < 1.0  # spoken before the second sentence exists
    assert len(c.got.of_type("caption")) == 1
    await s.close()
    await c.stop()


async def test_barge_in_stops_audio_and_video_and_keeps_spoken_words():
    s = await started()
    c = Collector(s)
    await s.send_text("tell me a long story")
    await c.got.wait_for("state", state="speaking", timeout=3)
    await asyncio.sleep(0.7)
    t_cut = time.monotonic()
    assert s.interrupt("client")
    await asyncio.sleep(0.4)
    await s.close()
    await c.stop()
    last_speaking = max(
        [t for t, v in c.got.video if v.speaking and mouth_open(v.image)]
        + [t for t, a in c.got.audio if a.speaking]
    )
    assert last_speaking - t_cut < 0.2
    after = [v for t, v in c.got.video if t > t_cut + 0.1]
    assert after and not any(mouth_open(v.image) for v in after)
    reply = s.transcript[-1]
    assert reply["role"] == "assistant" and reply["interrupted"] is True
    full = "You said tell me a long story. one two three four five six seven eight."
    assert reply["content"] and full.startswith(reply["content"])
    assert reply["content"] != full
    assert s.turn_records()[0]["interrupted"] is True


async def test_new_text_barges_in_and_starts_next_turn():
    s = await started()
    c = Collector(s)
    await s.send_text("tell me a long story")
    await c.got.wait_for("state", state="speaking", timeout=3)
    await s.send_text("who are you")
    await c.got.wait_for("interrupted", timeout=1)
    await c.got.wait_for("turn_metrics", turn=2, timeout=5)
    await s.close()
    await c.stop()
    roles = [(m["role"], m.get("interrupted")) for m in s.transcript]
    assert roles == [("user", None), ("assistant", True), ("user", None), ("assistant", False)]
    assert s.transcript[-1]["content"].startswith("I am Ada")


async def test_voice_input_barges_in_and_answers_transcript():
    s = await started()
    c = Collector(s)
    await s.send_text("tell me a long story")
    await c.got.wait_for("state", state="speaking", timeout=3)
    loud = (3000 * np.sin(np.arange(320) * 0.3)).astype(np.int16)
    quiet = np.zeros(320, np.int16)
    for chunk in [loud] * 10 + [quiet] * 5:
        s.push_audio(chunk.tobytes())
        await asyncio.sleep(0.02)
    await c.got.wait_for("interrupted", reason="voice", timeout=1)
    await c.got.wait_for("state", state="listening", timeout=1)
    await c.got.wait_for("turn_metrics", turn=2, timeout=5)
    await s.close()
    await c.stop()
    assert s.transcript[2] == {**s.transcript[2], "role": "user", "content": "who are you"}
    assert s.transcript[3]["content"].startswith("I am Ada")
    assert s.turn_records()[1]["asr_ms"] is not None


async def test_slow_consumer_loses_frames_not_the_session():
    s = await started(video_buffer=3)
    lazy = s.subscribe()  # never read
    c = Collector(s)
    await asyncio.sleep(0.6)
    await s.close()
    await c.stop()
    assert lazy.video.dropped >= 8 and len(lazy.video) == 3
    assert len(c.got.video) >= 12  # the reading consumer still got every frame
    assert s.metrics()["dropped_frames"] >= 8


async def test_max_duration_closes_cleanly():
    s = await started(max_duration=0.5)
    c = Collector(s)
    await asyncio.wait_for(s.closed.wait(), 2)
    await c.stop()
    assert s.close_reason == "max_duration"
    assert c.got.of_type("closed")[-1]["reason"] == "max_duration"
    assert s.engines is None and c.outlet.closed
    with pytest.raises(InvalidInput):
        await s.send_text("hello")


async def test_idle_timeout_and_keepalive():
    s = await started(idle_timeout=0.4)
    for _ in range(5):
        await asyncio.sleep(0.15)
        s.touch()  # a ping keeps it alive
    assert not s.is_closed
    await asyncio.wait_for(s.closed.wait(), 2)
    assert s.close_reason == "idle_timeout"


async def test_client_event_tool_fires_on_matching_text():
    tools = [ClientTool("show_map", "Show a map of a place to the user")]
    s = await started(tools=tools)
    c = Collector(s)
    await s.send_text("please show the map of Paris")
    await s.send_text("what is the weather")
    await asyncio.sleep(0.1)
    await s.close()
    await c.stop()
    events = c.got.of_type("client_event")
    assert len(events) == 1 and events[0]["name"] == "show_map"
    assert "Paris" in events[0]["args"]["text"]


async def test_sessions_are_isolated():
    a, b = await started("Ada"), await started("Bob")
    ca, cb = Collector(a), Collector(b)
    await asyncio.gather(a.send_text("who are you"), b.send_text("who are you"))
    await asyncio.gather(ca.got.wait_for("turn_metrics"), cb.got.wait_for("turn_metrics"))
    await asyncio.gather(a.close(), b.close())
    await ca.stop()
    await cb.stop()
    caps_a = " ".join(e["text"] for e in ca.got.of_type("caption"))
    caps_b = " ".join(e["text"] for e in cb.got.of_type("caption"))
    assert "Ada" in caps_a and "Bob" not in caps_a
    assert "Bob" in caps_b and "Ada" not in caps_b


async def test_greeting_is_spoken_on_connect_without_a_user_turn():
    eng = fake_engines()
    eng.responder.greeting = lambda: "Hello there. I am Ada."  # type: ignore[attr-defined]
    s = await LiveSession(eng, SessionConfig()).start()
    c = Collector(s)
    await c.got.wait_for("turn_metrics", timeout=5)
    second = s.subscribe()  # a second viewer does not trigger another greeting
    await s.close()
    await c.stop()
    assert [e["text"] for e in c.got.of_type("caption")] == ["Hello there.", "I am Ada."]
    assert [(m["role"], m["content"]) for m in s.transcript] == [
        ("assistant", "Hello there. I am Ada.")
    ]
    assert s.turn_records()[0]["source"] == "script" and second.closed
    assert eng.responder.calls == []  # the brain was not asked


async def test_a_failing_renderer_closes_the_session_with_error():
    eng = fake_engines()

    def broken(controls):
        raise RuntimeError("GPU on fire")

    eng.renderer.render = broken  # type: ignore[method-assign]
    s = await started()
    s.engines = eng
    c = Collector(s)
    await asyncio.wait_for(s.closed.wait(), 2)
    await c.stop()
    assert s.close_reason == "error"
    assert "GPU on fire" in c.got.of_type("error")[0]["message"]


async def test_asr_failure_is_reported_and_the_session_goes_on():
    eng = fake_engines()

    def deaf(audio):
        raise RuntimeError("no model")

    eng.transcriber.transcribe = deaf  # type: ignore[method-assign]
    s = await LiveSession(eng, SessionConfig()).start()
    c = Collector(s)
    loud = (3000 * np.sin(np.arange(320) * 0.3)).astype(np.int16)
    for chunk in [loud] * 5 + [np.zeros(320, np.int16)] * 4:
        s.push_audio(chunk)
    await c.got.wait_for("error", timeout=2)
    await s.send_text("who are you")
    await c.got.wait_for("turn_metrics", timeout=5)
    await s.close()
    await c.stop()
    assert s.transcript[-1]["content"].startswith("I am Ada")


async def test_metrics_are_pushed_periodically():
    s = await started(metrics_interval=0.2)
    c = Collector(s)
    await asyncio.sleep(0.75)
    await s.close()
    await c.stop()
    pushed = c.got.of_type("metrics")
    assert 2 <= len(pushed) <= 4
    assert pushed[-1]["frames"] > pushed[0]["frames"] and pushed[-1]["session"] == s.id


async def test_bad_audio_and_late_subscribers_are_handled():
    s = await started()
    with pytest.raises(InvalidInput):
        s.push_audio(b"\x00\x01\x02")  # half a sample
    with pytest.raises(InvalidInput):
        s.push_audio(np.zeros(320, np.int16), rate=1000)
    await s.close("done")
    late = s.subscribe()
    assert late.closed and late.events.pop() == {"type": "closed", "reason": "done"}


async def test_multi_sentence_chunks_are_spoken_sentence_by_sentence_with_citations():
    from dataclasses import dataclass

    from kinema.live.engines import ReplySentence

    @dataclass(frozen=True)
    class Cite:
        doc: str

    class Chunky:
        async def reply(self, history, user_text):
            yield ReplySentence("The hall opens at nine. Tickets cost five euros.", [Cite("faq")])

    eng = fake_engines()
    eng.responder = Chunky()
    s = await LiveSession(eng, SessionConfig()).start()
    c = Collector(s)
    await s.send_text("when do you open")
    await c.got.wait_for("turn_metrics", timeout=5)
    await s.close()
    await c.stop()
    caps = c.got.of_type("caption")
    assert [e["text"] for e in caps] == ["The hall opens at nine.", "Tickets cost five euros."]
    assert caps[0]["citations"] == [{"doc": "faq"}] and "citations" not in caps[1]
    assert caps[1]["start"] == caps[0]["end"]  # back to back on the timeline


async def test_no_rendering_without_viewers():
    s = await started()
    await asyncio.sleep(0.3)
    assert s.stats.frames == 0  # the clock runs, the renderer rests
    c = Collector(s)
    await asyncio.sleep(0.3)
    await s.close()
    await c.stop()
    assert s.stats.frames >= 4 and c.got.video[0][1].index >= 5  # frames stay on the clock


def test_a_long_opening_sentence_is_spoken_clause_first():
    from kinema.live.session import first_clause

    long = (
        "I'm Zora, a lighthouse keeper from Oslo who loves long winter nights, old wooden "
        "ships, the smell of tar and rope, and the sea."
    )
    parts = first_clause(long)
    assert parts[0] == "I'm Zora," and len(parts) == 3
    assert " ".join(parts) == long  # nothing lost or reordered
    assert first_clause("Short and sweet, really.") == ["Short and sweet, really."]
    no_breaks = "A sentence that runs on and on without any comma at all until it finally ends."
    assert first_clause(no_breaks) == [no_breaks]
