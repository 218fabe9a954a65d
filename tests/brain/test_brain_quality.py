"""Answer quality found by a user walk-through of a product FAQ: quantity questions ("how
long ..."), no off-topic extras from other sections, no canned lead-in on every answer."""

from __future__ import annotations

import pytest

from kinema.brain.base import Sentence, Turn
from kinema.brain.embedded import EmbeddedBrain
from kinema.brain.persona import Persona
from kinema.knowledge.chunk import chunk_text
from kinema.knowledge.index import SqliteIndex
from kinema.knowledge.terms import query_terms

FAQ = """# Lumen Coffee Grinder FAQ

## Warranty
The Lumen grinder comes with a two-year warranty covering the motor and the burrs. Accidental
damage is not covered.

## Shipping
We ship to the EU, the UK and Norway. Express delivery costs 12 euros and arrives the next
working day.

## Cleaning
Clean the burrs every two weeks with the brush in the box.

## Price
The Lumen grinder costs 249 euros. Replacement burrs cost 39 euros.
"""


@pytest.fixture(scope="module")
def index():
    ix = SqliteIndex(":memory:")
    ix.add("org", "faq", "Lumen FAQ", chunk_text(FAQ))
    yield ix
    ix.close()


def ask(index, text: str, history: list[Turn] | None = None, **kw) -> list[Sentence]:
    persona = Persona("Ada", "Support Agent", **kw)
    return EmbeddedBrain().respond(persona, history or [], text, index.search("org", text))


def spoken(out: list[Sentence]) -> str:
    return " ".join(s.text for s in out)


def test_how_long_and_how_often_ask_for_a_quantity_not_for_the_word() -> None:
    assert query_terms("How long is the warranty?") == ["warranty"]
    assert query_terms("How often should I clean it?") == ["clean"]
    assert query_terms("Is the cable long enough?") == ["cable", "long", "enough"]


def test_how_long_question_is_answered_from_its_section(index) -> None:
    out = ask(index, "How long is the warranty?", knowledge_only=True)
    assert "two-year warranty" in spoken(out)
    assert out[-1].citations and out[-1].citations[0].doc_id == "faq"
    assert "often" not in " ".join(query_terms("how often"))
    assert "every two weeks" in spoken(ask(index, "How often should I clean the burrs?"))


def test_extra_sentences_stay_in_the_answering_section(index) -> None:
    text = spoken(ask(index, "How much does it cost?"))
    assert "249 euros" in text
    assert "Express delivery" not in text  # the shipping section only shares the word "costs"


def test_lead_in_is_not_repeated_on_consecutive_answers(index) -> None:
    first = ask(index, "How much does it cost?")
    assert not first[0].citations  # the opening lead-in sentence
    history = [Turn("user", "How much does it cost?"), Turn("assistant", spoken(first))]
    second = ask(index, "Is accidental damage covered?", history)
    assert second[0].citations, second  # straight to the answer
    assert "Accidental damage is not covered" in second[0].text
    history += [Turn("user", "Is accidental damage covered?"), Turn("assistant", spoken(second))]
    third = ask(index, "How do I clean the burrs?", history)
    assert not third[0].citations  # and back to a lead-in after a plain answer


def test_which_kind_question_is_answered_without_the_kind_word(index) -> None:
    # the answer lists countries without saying "countries"
    out = ask(index, "Which countries do you ship to?", knowledge_only=True)
    assert "We ship to the EU, the UK and Norway." in spoken(out)
    assert out[-1].citations
    # but both words of a plain two-word question are still required
    unknown = ask(index, "What is the capital of Norway?", knowledge_only=True)
    assert not any(s.citations for s in unknown)


def test_lead_in_after_a_greeting_counts_as_used(index) -> None:
    first = ask(index, "Good morning! How long is the warranty?")
    assert first[0].text.startswith(("Hello", "Hi", "Good", "Hey")) and not first[1].citations
    history = [Turn("user", "Good morning! How long is the warranty?")]
    history.append(Turn("assistant", spoken(first)))
    assert ask(index, "Is accidental damage covered?", history)[0].citations


def test_everyday_phrasings_reach_the_document_word() -> None:
    assert query_terms("Can I get my money back?") == ["refund"]
    assert query_terms("How do I get in touch with you?") == ["contact"]
    faq = "# Returns\nYou can return an unused grinder within 30 days for a full refund.\n"
    ix = SqliteIndex(":memory:")
    ix.add("org", "faq", "FAQ", chunk_text(faq))
    text = spoken(ask(ix, "Can I get my money back?", knowledge_only=True))
    assert "within 30 days for a full refund" in text
    ix.close()
