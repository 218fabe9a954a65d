"""Retrieve, then reply: the one call a conversation makes per user turn.

REST conversations and the live session both use ``answer``; it keeps retrieval off the event
loop (query embedding and search run in a worker thread), gives a terse follow-up its topic
from the conversation (``kinema.brain.dialogue.resolve``) before searching, tells the persona
what its documents cover (for "what can you do" and polite deflections), and passes the best
passages to whichever brain the character uses — the embedded one or an LLM, grounded in the
same hybrid retrieval.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from dataclasses import replace

from kinema.brain.base import Brain, Sentence, Turn
from kinema.brain.dialogue import classify, resolve
from kinema.brain.persona import Persona
from kinema.knowledge.index import KnowledgeIndex, Passage


def search_text(user_text: str, history: list[Turn] | None = None) -> tuple[str, str | None]:
    """(what to search for, the words just said or ``None``): the question without a greeting
    in front, with the topic of the earlier turns when it is a follow-up ("and on Sundays?")."""
    act, rest = classify(user_text)
    text = rest if act != "question" and rest else user_text
    resolved = resolve(text, history)
    return resolved.query, (text if resolved.follow_up else None)


async def retrieve(
    index: KnowledgeIndex | None,
    org_id: str,
    doc_ids: list[str] | None,
    user_text: str,
    k: int = 4,
    history: list[Turn] | None = None,
) -> list[Passage]:
    """Top ``k`` passages for ``user_text`` (``doc_ids=None``: all of the organization's
    documents; ``[]`` or no index: none)."""
    if index is None or (doc_ids is not None and not doc_ids) or not user_text.strip():
        return []
    query, focus = search_text(user_text, history)
    if focus is None or not _takes_focus(index):
        return await asyncio.to_thread(index.search, org_id, query, k, doc_ids)
    return await asyncio.to_thread(index.search, org_id, query, k, doc_ids, focus)


def _takes_focus(index: KnowledgeIndex) -> bool:
    """Whether ``index.search`` has the ``focus`` parameter (indexes written before it don't)."""
    try:
        return "focus" in inspect.signature(index.search).parameters
    except (TypeError, ValueError):
        return False


async def topics(index: KnowledgeIndex | None, org_id: str, doc_ids: list[str] | None) -> tuple:
    """What the documents cover (section headings or names), for the persona."""
    if index is None or (doc_ids is not None and not doc_ids):
        return ()
    found = getattr(index, "topics", None)
    if found is None:  # an index written against the older contract
        return ()
    return tuple(await asyncio.to_thread(found, org_id, doc_ids))


async def answer(
    brain: Brain,
    index: KnowledgeIndex | None,
    org_id: str,
    doc_ids: list[str] | None,
    persona: Persona,
    history: list[Turn],
    user_text: str,
    k: int = 4,
) -> AsyncIterator[Sentence]:
    """Stream the character's reply to ``user_text``, grounded in its documents.

    Usage::

        async for sentence in answer(brain, index, org_id, character.doc_ids, persona,
                                     history, "How many vacation days do I get?"):
            await tts.say(sentence.text)       # sentence.citations -> show sources

    Closing the iterator early (barge-in) is safe.
    """
    passages = await retrieve(index, org_id, doc_ids, user_text, k, history)
    if not persona.topics:
        covered = await topics(index, org_id, doc_ids)
        if covered:
            persona = replace(persona, topics=covered)
    async for sentence in brain.reply(persona, history, user_text, passages):
        yield sentence
