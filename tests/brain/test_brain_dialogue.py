"""The embedded brain as a user meets it: dialogue acts in character, follow-ups, answers by
meaning from the best sentences, honest declines that say what it can help with, and the
register visibly changing the wording — with real MiniLM retrieval over a real index."""

from __future__ import annotations

import pytest

from kinema.brain.base import Sentence, Turn, get_brain
from kinema.brain.dialogue import classify, is_follow_up
from kinema.brain.embedded import trim_for_speech
from kinema.brain.persona import Persona
from kinema.brain.respond import answer
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import SqliteIndex

SHOP = """# Orion Telescope Shop handbook

## Returns
You can return any telescope within 45 days of delivery for a full refund. Opened eyepieces
cannot be refunded, but we don't charge for exchanging them.

## Opening hours
The shop is open Monday to Friday from 10 am to 7 pm and on Saturdays from 9 am to 5 pm.
On Sundays we are closed, except during the Perseid meteor shower in August.

## Warranty
Every telescope mount is covered for seven years. Optical tubes carry a two-year warranty.

## Location and parking
The shop is at 12 Kepler Street. Customers park free of charge in the courtyard behind the
building.
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    ix = SqliteIndex(tmp_path_factory.mktemp("dialogue") / "k.db")
    ix.add("org", "shop", "Orion handbook", chunk_text(SHOP))
    yield ix
    ix.close()


async def say(index, persona: Persona, text: str, history=None) -> list[Sentence]:
    brain = get_brain("embedded")
    return [s async for s in answer(brain, index, "org", None, persona, history or [], text)]


def spoken(out: list[Sentence]) -> str:
    return " ".join(s.text for s in out)


def quoted(out: list[Sentence]) -> str:
    return " ".join(c.snippet for s in out for c in s.citations)


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("Good evening!", "hello"),
        ("Thank you so much", "thanks"),
        ("Who are you?", "identity"),
        ("What can you help me with?", "capabilities"),
        ("Goodbye!", "bye"),
        ("How's it going?", "how_are_you"),
        ("Tell me a joke", "joke"),
        ("Are you a robot?", "human"),
        ("You're really helpful", "compliment"),
        ("ok", "ack"),
    ],
)
async def test_dialogue_acts_are_answered_in_character(index, text: str, act: str) -> None:
    assert classify(text)[0] == act
    agent = Persona("Orla", "Support Agent")
    npc = Persona("Orla", "Game NPC")
    a, b = await say(index, agent, text), await say(index, npc, text)
    assert not any(s.citations for s in a + b)  # nothing is looked up for small talk
    assert spoken(a) != spoken(b)  # each in its own voice
    if act == "capabilities":  # names what the documents cover
        assert "Returns" in spoken(a) and "Opening hours" in spoken(a)


async def test_paraphrased_question_is_answered_from_its_sentence(index) -> None:
    out = await say(index, Persona("Orla", "Support Agent"), "What is your return policy?")
    assert "return any telescope within 45 days" in quoted(out)
    car = await say(index, Persona("Orla", "Support Agent"), "Where can I leave my car?")
    assert "park free of charge" in quoted(car)
    assert len([s for s in car if s.citations]) <= 2  # the best one or two sentences


async def test_follow_up_is_resolved_against_the_last_topic(index) -> None:
    persona = Persona("Orla", "Support Agent")
    first = await say(index, persona, "When are you open on Saturdays?")
    assert "Saturdays from 9 am to 5 pm" in quoted(first)
    history = [Turn("user", "When are you open on Saturdays?"), Turn("assistant", spoken(first))]
    then = await say(index, persona, "And on Sundays?", history)
    assert "On Sundays we are closed" in quoted(then)
    assert is_follow_up("And on Sundays?") and not is_follow_up("Where is the shop?")
    thanks = await say(index, persona, "Thanks! And what about the tube?", [
        Turn("user", "How long is the mount covered?"), Turn("assistant", "Seven years."),
    ])  # fmt: skip
    assert "two-year warranty" in quoted(thanks) and thanks[0].text.startswith("You're welcome")


async def test_low_confidence_declines_and_says_what_it_can_help_with(index) -> None:
    persona = Persona("Orla", "Friendly Assistant", knowledge_only=True)
    out = await say(index, persona, "How long should I bake sourdough bread?")
    assert not out[0].citations and len(out) == 1
    text = spoken(out)
    assert "outside what I know" in text and "Returns" in text and "Warranty" in text
    related = await say(index, persona, "Can I return a bicycle I bought elsewhere?")
    assert related  # near a topic: answered with a hedge or declined, never invented
    assert all(c.doc_id == "shop" for s in related for c in s.citations)


async def test_register_visibly_changes_the_wording(index) -> None:
    question = "Can I get a refund for an opened eyepiece?"
    formal = spoken(await say(index, Persona("Orla", "Professional Advisor"), question))
    casual = spoken(await say(index, Persona("Orla", "Friendly Assistant"), question))
    funny = spoken(await say(index, Persona("Orla", "Humorous Companion"), question))
    assert "cannot be refunded" in formal and "do not charge" in formal  # spelled out
    assert "can't be refunded" in casual and "don't charge" in casual  # contracted
    assert len({formal, casual, funny}) == 3
    # free text picks a register from its words
    witty = Persona("Orla", description="A witty shop assistant who loves puns.")
    stiff = Persona("Orla", description="A formal, precise shop clerk.")
    assert (witty.register, stiff.register) == ("humorous", "formal")
    assert "cannot be refunded" in spoken(await say(index, stiff, question))


async def test_the_personality_is_never_echoed_in_the_second_person(index) -> None:
    persona = Persona.from_personality(
        "Orla", "You are Orla, the assistant of the Orion telescope shop. You are cheerful."
    )
    for text in ["Who are you?", "Hi! Who are you?", "What can you do?", "Tell me a joke"]:
        out = spoken(await say(index, persona, text))
        assert "you are" not in out.lower(), out
    intro = spoken(await say(index, persona, "Who are you?"))
    assert intro.startswith("I'm Orla, the assistant of the Orion telescope shop.")


def test_sentences_are_trimmed_to_speak_well() -> None:
    said = trim_for_speech("Return policy: customers may return any telescope (see page 4).")
    assert said == "Customers may return any telescope."
    assert trim_for_speech("Call **040 555 0199** (e.g. from 10 am).") == "Call 040 555 0199."
    assert trim_for_speech("Price: 90 euros.") == "Price: 90 euros."  # a label with little after
