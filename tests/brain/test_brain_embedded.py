from __future__ import annotations

import pytest

from kinema.brain.base import Sentence, get_brain
from kinema.brain.embedded import EmbeddedBrain, classify
from kinema.brain.persona import TEMPLATES, Persona
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import SqliteIndex

HANDBOOK = """# Vacation
Our company was founded in 1998 and has offices in three countries. Full-time staff receive
**25 days** of paid vacation per year. Up to 5 unused days carry over into the next year.
Forms are at https://hr.example.com/forms for download.

| Grade | Vacation days |
|---|---|
| A | 25 |

# Capital expenditure
Capital purchases above 5000 euros need approval from the finance director.

# Parking
Visitors park in the blue garage on Elm Street. The garage closes at 10 pm.
"""


@pytest.fixture(scope="module")
def index():
    ix = SqliteIndex(":memory:")
    ix.add("org", "hb", "staff_handbook.pdf", chunk_text(HANDBOOK))
    yield ix
    ix.close()


def reply(persona: Persona, text: str, index, history=None) -> list[Sentence]:
    return EmbeddedBrain().respond(persona, history or [], text, index.search("org", text))


def spoken(sentences: list[Sentence]) -> str:
    return " ".join(s.text for s in sentences)


def test_answers_with_the_matching_sentences_not_the_whole_chunk(index) -> None:
    out = reply(Persona("Ada", "Support Agent"), "How many vacation days do staff get?", index)
    answer = [s for s in out if s.citations]
    assert answer, out
    assert "25 days of paid vacation" in answer[0].text
    text = spoken(out)
    assert "founded in 1998" not in text  # same passage, not relevant
    assert "*" not in text and "http" not in text and "|" not in text
    cite = answer[0].citations[0]
    assert (cite.doc_id, cite.doc_name, cite.position) == ("hb", "staff_handbook.pdf", 0)
    assert "25 days" in cite.snippet


def test_heading_match_answers_from_that_section(index) -> None:
    out = reply(Persona("Ada"), "Tell me about parking", index)
    assert "blue garage on Elm Street" in spoken(out)
    assert {c.position for s in out for c in s.citations} == {2}


def test_one_incidental_word_is_not_an_answer(index) -> None:
    persona = Persona("Ada", "Professional Advisor", knowledge_only=True)
    out = reply(persona, "What is the capital of Mars?", index)
    assert out[0].text == persona.phrase("unknown", seed="what is the capital of mars?")
    assert not any(s.citations for s in out)
    assert out[1].text == "I can advise you on the staff handbook."  # what it can help with


def test_no_knowledge_is_said_plainly_in_each_register(index) -> None:
    texts = set()
    for key in TEMPLATES:
        out = reply(Persona("Ada", key, knowledge_only=True), "Who won the 1966 World Cup?", index)
        assert len(out) == 1 and not out[0].citations
        texts.add(out[0].text)
    assert len(texts) == len(TEMPLATES)
    empty = EmbeddedBrain().respond(Persona("Ada"), [], "Who won the 1966 World Cup?", [])
    assert "not sure" in empty[0].text.lower() and "guess" in empty[0].text.lower()  # open mode


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hello!", "hello"),
        ("good morning", "hello"),
        ("Thanks a lot!", "thanks"),
        ("ok bye", "bye"),
        ("How are you doing?", "how_are_you"),
        ("Who are you?", "identity"),
        ("what's your name", "identity"),
        ("What can you do for me?", "capabilities"),
    ],
)
def test_small_talk_in_the_persona_register(index, text: str, kind: str) -> None:
    npc, agent = Persona("Grom", "Game NPC"), Persona("Grom", "Support Agent")
    a, b = reply(npc, text, index), reply(agent, text, index)
    assert len(a) == 1 and not a[0].citations
    assert a[0].text != b[0].text
    assert a[0].text == npc.phrase(kind, seed=text.lower()) or kind == "capabilities"
    if kind == "identity":
        assert "Grom" in a[0].text


def test_greeting_followed_by_a_question_answers_it(index) -> None:
    out = reply(Persona("Ada", "Friendly Assistant"), "Hi! Where do visitors park?", index)
    assert out[0].text.startswith(("Hello", "Hi"))
    assert "blue garage" in spoken(out)


def test_long_questions_mentioning_thanks_are_still_questions() -> None:
    assert classify("thanks, but how many vacation days carry over into next year?")[0] == (
        "question"
    )
    assert classify("   ")[0] == "empty"


def test_deterministic(index) -> None:
    p = Persona("Ada", "Tutor")
    q = "When does the garage close?"
    assert reply(p, q, index) == reply(p, q, index)
    assert "10 pm" in spoken(reply(p, q, index))


async def test_reply_streams_the_same_sentences(index) -> None:
    brain = get_brain("embedded")
    p = Persona("Ada", "Tutor")
    q = "Who approves capital purchases?"
    streamed = [s async for s in brain.reply(p, [], q, index.search("org", q))]
    assert streamed == reply(p, q, index)
    assert "finance director" in spoken(streamed)


def test_greeting_then_social_move(index) -> None:
    p = Persona("Grom", "Game NPC")
    out = reply(p, "Hey there, who are you?", index)
    assert len(out) == 2 and "Grom" in out[1].text and not any(s.citations for s in out)


def test_open_mode_says_unsure_rather_than_unknown(index) -> None:
    p = Persona("Ada", "Tutor")
    out = reply(p, "Who won the 1966 World Cup?", index)
    assert out[0].text == p.phrase("unsure", seed="who won the 1966 world cup?")
