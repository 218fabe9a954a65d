"""Retrieve, then reply: the one call a conversation makes per user turn.

REST conversations and the live session both use ``answer``; it keeps retrieval off the event
loop and passes the best passages to whichever brain the character uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from kinema.brain.base import Brain, Sentence, Turn
from kinema.brain.persona import Persona
from kinema.knowledge.index import KnowledgeIndex, Passage
from kinema.knowledge.terms import query_terms


async def retrieve(
    index: KnowledgeIndex | None,
    org_id: str,
    doc_ids: list[str] | None,
    user_text: str,
    k: int = 4,
    history: list[Turn] | None = None,
) -> list[Passage]:
    """Top ``k`` passages for ``user_text`` (``doc_ids=None``: all of the organization's
    documents; ``[]`` or no index: none).

    A terse follow-up ("and how much does it cost?") has too few words to find its topic, so
    the previous user turn is searched along with it.
    """
    if index is None or (doc_ids is not None and not doc_ids) or not user_text.strip():
        return []
    query = user_text
    if len(query_terms(user_text)) <= 2 and history:
        previous = next((t.content for t in reversed(history) if t.role == "user"), "")
        query = f"{previous} {user_text}"
    return await asyncio.to_thread(index.search, org_id, query, k, doc_ids)


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
    async for sentence in brain.reply(persona, history, user_text, passages):
        yield sentence
