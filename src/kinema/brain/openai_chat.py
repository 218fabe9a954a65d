"""A streaming chat brain on any OpenAI-compatible server: Ollama, vLLM, llama.cpp, OpenAI.

Retrieved passages go into the system prompt as numbered sources; the model is asked to mark
what it uses with ``[n]``, and those markers become ``Citation`` data (never spoken). Tokens are
cut into sentences as they arrive, so the first sentence reaches TTS while the model is still
writing. ``<think>`` blocks of reasoning models are dropped. A knowledge-only character with
no retrieved passages declines a question without calling the model at all. A request that
fails before any sentence was spoken is retried; after that, or when retries run out, the brain
speaks the persona's apology and returns: one bad turn never ends the conversation.

Settings: ``KINEMA_LLM_BASE_URL``, ``KINEMA_LLM_MODEL``, ``KINEMA_LLM_API_KEY``,
``KINEMA_LLM_TIMEOUT`` (seconds to connect, and to wait for each piece of the stream).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from kinema.brain.base import Citation, Sentence, Turn, citation_for
from kinema.brain.embedded import classify
from kinema.brain.persona import Persona
from kinema.brain.speech import speakable, take_markers
from kinema.config import Settings
from kinema.errors import BackendUnavailable
from kinema.knowledge.index import Passage, source_label
from kinema.knowledge.sentences import SentenceSplitter
from kinema.knowledge.terms import query_terms, stems

log = logging.getLogger(__name__)

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S)
_PARTIAL_TAG = re.compile(r"<(?:t(?:h(?:i(?:n(?:k)?)?)?)?)?$")


class OpenAIBrain:
    """Streaming chat-completions brain (see module docstring)."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str = "not-needed",
        timeout: float = 20.0,
        retries: int = 1,
        max_history: int = 12,
        temperature: float = 0.3,
        max_tokens: int = 400,
    ) -> None:
        import openai

        if not base_url or not model:
            raise BackendUnavailable(
                "The openai brain needs KINEMA_LLM_BASE_URL and KINEMA_LLM_MODEL (e.g. "
                "http://127.0.0.1:11434/v1 and llama3.1 for Ollama)."
            )
        self.model = model
        self.retries = retries
        self.max_history = max_history
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,  # a float: applies to connect and to each read of the stream
            max_retries=0,  # retries are ours: only before the first spoken sentence
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIBrain:
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
        )

    def messages(
        self, persona: Persona, history: list[Turn], user_text: str, passages: list[Passage]
    ) -> list[dict[str, str]]:
        """The chat messages for one turn: system prompt with numbered sources, recent history,
        the user's text."""
        system = persona.system_prompt() + "\n\n" + sources_block(passages)
        msgs = [{"role": "system", "content": system}]
        for turn in history[-self.max_history :]:
            if turn.content.strip():
                msgs.append({"role": turn.role, "content": turn.content})
        msgs.append({"role": "user", "content": user_text})
        return msgs

    async def reply(
        self,
        persona: Persona,
        history: list[Turn],
        user_text: str,
        passages: list[Passage],
    ) -> AsyncIterator[Sentence]:
        if persona.knowledge_only and not passages and classify(user_text)[0] == "question":
            # nothing to ground an answer in: decline without giving the model a chance to invent
            yield Sentence(persona.phrase("unknown", seed=user_text.lower()))
            return
        messages = self.messages(persona, history, user_text, passages)
        spoken = 0
        for attempt in range(self.retries + 1):
            stream: Any = None
            try:
                stream = await self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    stream=True,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                )
                visible = _Visible()
                splitter = SentenceSplitter()
                async for chunk in stream:
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if not piece:
                        continue
                    for text in splitter.feed(visible.add(piece)):
                        sentence = to_sentence(text, passages)
                        if sentence:
                            spoken += 1
                            yield sentence
                for text in splitter.flush():
                    sentence = to_sentence(text, passages)
                    if sentence:
                        spoken += 1
                        yield sentence
                if not spoken:
                    log.warning("LLM %s returned no speakable text", self.model)
                    yield Sentence(persona.phrase("trouble", seed=user_text))
                return
            except Exception as exc:  # noqa: BLE001 - any backend failure becomes an apology
                retry = not spoken and attempt < self.retries and _retryable(exc)
                log.warning(
                    "LLM %s failed (%s: %s)%s",
                    self.model,
                    type(exc).__name__,
                    exc,
                    "; retrying" if retry else "",
                )
                if retry:
                    await asyncio.sleep(0.2 * (attempt + 1))
                    continue
                yield Sentence(persona.phrase("trouble", seed=user_text))
                return
            finally:
                if stream is not None:
                    await stream.close()


def sources_block(passages: list[Passage]) -> str:
    if not passages:
        return "Sources: none were found for this question."
    lines = ["Sources (after a sentence that uses one, write its number like [1]):"]
    for n, p in enumerate(passages, 1):
        where = source_label(p.doc_name, p.page, p.heading)
        lines.append(f"[{n}] ({where})\n{p.text.strip()}")
    return "\n\n".join(lines)


def to_sentence(text: str, passages: list[Passage]) -> Sentence | None:
    """A streamed sentence → speakable ``Sentence`` with citations from its ``[n]`` markers, or
    (no markers) from the passage that shares most of its words."""
    stripped, numbers = take_markers(text)
    spoken = speakable(stripped)
    if not spoken:
        return None
    cites: list[Citation] = [
        citation_for(passages[n - 1]) for n in numbers if 0 < n <= len(passages)
    ]
    if not numbers and passages:
        cites = _overlap_citation(spoken, passages)
    return Sentence(spoken, cites)


def _overlap_citation(sentence: str, passages: list[Passage]) -> list[Citation]:
    terms = {t for t in stems(" ".join(query_terms(sentence)))}
    if len(terms) < 3:
        return []
    best = max(passages, key=lambda p: len(terms & stems(p.text)))
    shared = len(terms & stems(best.text))
    return [citation_for(best)] if shared >= 0.6 * len(terms) else []


class _Visible:
    """The streamed text minus ``<think>…</think>`` blocks, released as it becomes certain."""

    def __init__(self) -> None:
        self._raw = ""
        self._sent = 0

    def add(self, piece: str) -> str:
        self._raw += piece
        visible = _PARTIAL_TAG.sub("", _THINK.sub("", self._raw))
        new = visible[self._sent :]
        self._sent = len(visible)
        return new


def _retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code == 429
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)
