from __future__ import annotations

import time

import pytest

from kinema.brain.base import Turn, get_brain
from kinema.brain.openai_chat import OpenAIBrain
from kinema.brain.persona import Persona
from kinema.config import Settings
from kinema.errors import BackendUnavailable
from kinema.knowledge.index import Passage

PERSONA = Persona("Ada", "Support Agent", knowledge_only=True)
PASSAGES = [
    Passage("The Zephyr pump moves 42 litres per minute.", "d1", "Zephyr manual", "Specs", 3, 2.0),
    Passage("Warranty lasts two years.", "d2", "Warranty", "", 0, 1.0),
]


def brain(url: str, model: str = "ok", **kw) -> OpenAIBrain:
    return OpenAIBrain(base_url=url, model=model, timeout=kw.pop("timeout", 5.0), **kw)


async def collect(b: OpenAIBrain, text: str = "How fast is the pump?", history=None):
    return [s async for s in b.reply(PERSONA, history or [], text, PASSAGES)]


async def test_first_sentence_arrives_before_the_stream_ends(fake_llm) -> None:
    fake_llm.script = [
        "The Zephyr pump ",
        "moves 42 litres per minute [1]. ",
        "It is ",
        "rated for **continuous** use. ",
        "Its warranty lasts two years [2].",
    ]
    fake_llm.pause = 0.25
    b = brain(fake_llm.url)
    stamps: list[tuple[float, str]] = []
    async for s in b.reply(PERSONA, [], "How fast is the pump?", PASSAGES):
        stamps.append((time.monotonic(), s.text))
    end = fake_llm.finished_at[-1]
    texts = [t for _, t in stamps]
    assert texts == [
        "The Zephyr pump moves 42 litres per minute.",
        "It is rated for continuous use.",
        "Its warranty lasts two years.",
    ]
    # the first sentence was complete once chunk 3 arrived; the stream ran 3 pauses longer
    assert stamps[0][0] < end - 0.4, f"first sentence {end - stamps[0][0]:.2f}s before end"


async def test_citation_markers_become_data(fake_llm) -> None:
    fake_llm.script = ["The pump moves 42 litres per minute [1]. ", "Warranty: two years [2][9]."]
    out = await collect(brain(fake_llm.url))
    assert [s.text for s in out] == ["The pump moves 42 litres per minute.", "Warranty: two years."]
    assert [(c.doc_id, c.position) for c in out[0].citations] == [("d1", 3)]
    assert [c.doc_name for c in out[1].citations] == ["Warranty"]  # [9] does not exist


async def test_request_carries_persona_sources_and_history(fake_llm) -> None:
    fake_llm.script = ["Sure."]
    history = [Turn("user", "Hi"), Turn("assistant", "Hello, how can I help?")]
    await collect(brain(fake_llm.url, max_history=2), "How fast?", history)
    req = fake_llm.requests[-1]
    assert req["stream"] is True and req["model"] == "ok"
    roles = [m["role"] for m in req["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    system = req["messages"][0]["content"]
    assert "You are Ada." in system and "support agent" in system.lower()
    assert "[1] (Zephyr manual, Specs)\nThe Zephyr pump moves 42 litres" in system
    assert "[2] (Warranty)" in system
    assert "never guess" in system  # knowledge-only rule
    assert req["messages"][-1]["content"] == "How fast?"


async def test_think_blocks_are_not_spoken(fake_llm) -> None:
    fake_llm.script = ["<thi", "nk>The user wants. Let me ", "think.</th", "ink>Two years [2]."]
    out = await collect(brain(fake_llm.url))
    assert [s.text for s in out] == ["Two years."]


@pytest.mark.parametrize("mode", ["hang", "http500", "malformed"])
async def test_failures_apologise_and_the_next_turn_works(fake_llm, mode: str) -> None:
    b = brain(fake_llm.url, model=mode, timeout=0.5, retries=1)
    t0 = time.monotonic()
    out = await collect(b)
    took = time.monotonic() - t0
    assert len(out) == 1 and "sorry" in out[0].text.lower() and not out[0].citations
    assert took < 2.8  # timeouts are honoured (hang = 3 s)
    if mode in ("http500", "hang"):
        assert len(fake_llm.requests) == 2  # retried once before speaking
    else:
        assert len(fake_llm.requests) == 1  # a broken stream is not retried
    fake_llm.script = ["Back to normal. ", "All good."]
    b.model = "ok"
    assert [s.text for s in await collect(b)] == ["Back to normal.", "All good."]


async def test_stream_breaking_midway_keeps_what_was_said(fake_llm) -> None:
    out = await collect(brain(fake_llm.url, model="partial"))
    assert out[0].text == "The first sentence arrives."
    assert len(out) == 2 and "sorry" in out[1].text.lower()
    assert len(fake_llm.requests) == 1  # never repeat what was already spoken


async def test_unreachable_server_apologises() -> None:
    b = OpenAIBrain(base_url="http://127.0.0.1:9/v1", model="x", timeout=1.0, retries=0)
    out = await collect(b)
    assert len(out) == 1 and "trouble" in out[0].text


async def test_apology_is_in_the_persona_register(fake_llm) -> None:
    b = brain(fake_llm.url, model="http500", retries=0)
    npc = Persona("Grom", "Game NPC")
    out = [s async for s in b.reply(npc, [], "hi", [])]
    assert "traveller" in out[0].text


def test_get_brain_from_settings(fake_llm) -> None:
    s = Settings(brain="openai", llm_base_url=fake_llm.url, llm_model="ok", llm_timeout=3)
    b = get_brain(settings=s)
    assert isinstance(b, OpenAIBrain) and b.model == "ok"
    with pytest.raises(BackendUnavailable, match="KINEMA_LLM_BASE_URL"):
        get_brain("openai", Settings(llm_base_url=""))
    assert get_brain(settings=Settings()).name == "embedded"


async def test_knowledge_only_without_sources_declines_without_calling(fake_llm) -> None:
    b = brain(fake_llm.url)
    out = [s async for s in b.reply(PERSONA, [], "What is the capital of Peru?", [])]
    assert [s.text for s in out] == [PERSONA.phrase("unknown", seed="what is the capital of peru?")]
    assert fake_llm.requests == []
    fake_llm.script = ["Hello! How can I help?"]
    out = [s async for s in b.reply(PERSONA, [], "Hello!", [])]  # small talk still goes through
    assert [s.text for s in out] == ["Hello!", "How can I help?"]


async def test_barge_in_closes_the_stream_and_the_next_turn_works(fake_llm) -> None:
    fake_llm.script = ["First sentence here. ", "Second one. ", "Third one. ", "Fourth."]
    fake_llm.pause = 0.3
    b = brain(fake_llm.url)
    gen = b.reply(PERSONA, [], "How fast is the pump?", PASSAGES)
    t0 = time.monotonic()
    first = await gen.__anext__()
    await gen.aclose()  # the user spoke: stop listening to the model
    assert first.text == "First sentence here." and time.monotonic() - t0 < 1.0
    fake_llm.pause = 0.0
    fake_llm.script = ["Again."]
    assert [s.text for s in await collect(b)] == ["Again."]
