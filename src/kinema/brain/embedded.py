"""The embedded brain: an offline, deterministic, retrieval-grounded responder. Not an LLM.

It never writes new content. It recognises social moves (greetings, thanks, goodbyes, "how are
you", "who are you", "what can you do") and answers them in the persona's register; for anything
else it answers *extractively*: from the retrieved passages it picks the few sentences that best
match the question's meaningful words, cleans them for speech and cites their passage. When the
passages do not cover the question it says so plainly instead of guessing. Same input, same
output: it is the default because it needs no model, no GPU and no network.

To plug in a language model, run any OpenAI-compatible server (Ollama, vLLM, llama.cpp server,
OpenAI) and select it::

    KINEMA_BRAIN=openai KINEMA_LLM_BASE_URL=http://127.0.0.1:11434/v1 KINEMA_LLM_MODEL=llama3.1

or write a class with ``name`` and an ``async def reply(...)`` generator (see
``kinema.brain.base.Brain``) and add it to ``kinema.brain.base.BRAINS``.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from kinema.brain.base import Sentence, Turn, citation_for
from kinema.brain.persona import Persona
from kinema.brain.speech import is_table_row, speakable
from kinema.knowledge.index import Passage
from kinema.knowledge.sentences import split_sentences
from kinema.knowledge.terms import query_terms, stem, stems, words

_SOCIAL = [  # a greeting first: "hi, who are you?" is a hello, then a question
    (
        "hello",
        re.compile(
            r"^(hi|hello|hey|hiya|howdy|greetings|yo|hallo|hei|good (morning|afternoon|evening)"
            r"|well met|hail)\b"
        ),
    ),
    (
        "identity",
        re.compile(
            r"\b(who are you|who r u|what are you|what'?s your name|what is your name|your name"
            r"|introduce yourself|tell me about yourself)\b"
        ),
    ),
    (
        "capabilities",
        re.compile(
            r"\b(what can you do|what can you help|how can you help|what do you know"
            r"|what can i ask)\b"
        ),
    ),
    (
        "how_are_you",
        re.compile(
            r"\b(how are you|how r u|how'?s it going|how are things|how do you do"
            r"|how have you been)\b"
        ),
    ),
    ("thanks", re.compile(r"\b(thanks|thank you|thank u|thx|cheers|much appreciated)\b")),
    ("bye", re.compile(r"\b(bye|goodbye|good bye|see you|see ya|farewell|good night)\b")),
]
_SOCIAL_MAX_WORDS = 9


@dataclass(frozen=True)
class _Candidate:
    score: float
    rank: int
    index: int
    text: str
    passage: Passage
    raw: str
    news: bool
    on_topic: bool  # the passage's heading or document name holds a question word


class EmbeddedBrain:
    """Retrieval-grounded extractive responder (see module docstring)."""

    name = "embedded"

    def __init__(self, *, max_sentences: int = 3, max_chars: int = 420) -> None:
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    async def reply(
        self,
        persona: Persona,
        history: list[Turn],
        user_text: str,
        passages: list[Passage],
    ) -> AsyncIterator[Sentence]:
        for sentence in self.respond(persona, history, user_text, passages):
            yield sentence

    def respond(
        self,
        persona: Persona,
        history: list[Turn],
        user_text: str,
        passages: list[Passage],
    ) -> list[Sentence]:
        """The whole reply at once (the embedded brain has nothing to stream)."""
        text = " ".join(user_text.split())
        seed = text.lower()
        intent, rest = classify(text)
        if intent == "empty":
            return [Sentence(persona.phrase("unclear", seed=seed))]
        if intent not in ("question", "hello"):
            topics = _topics(passages)
            return [Sentence(persona.phrase(intent, seed=seed, **topics))]
        out: list[Sentence] = []
        question = text
        if intent == "hello":
            then, rest = classify(rest)
            if then == "empty":
                return [Sentence(persona.phrase("hello", seed=seed))]
            out.append(Sentence(split_sentences(persona.phrase("hello", seed=seed))[0]))
            if then not in ("question", "hello"):  # "hi, who are you?"
                out.append(Sentence(persona.phrase(then, seed=seed, **_topics(passages))))
                return out
            question = rest
        picked = self.select(question, passages)
        if not picked:
            kind = "unknown" if persona.knowledge_only else "unsure"
            out.append(Sentence(persona.phrase(kind, seed=seed)))
            return out
        lead = persona.phrase("lead_in", seed=seed, doc=_spoken_name(picked[0].passage.doc_name))
        first = picked[0]
        if _led_last_time(persona, history):  # a lead-in on every answer sounds canned
            out.append(Sentence(first.text, [citation_for(first.passage, first.raw)]))
            picked = picked[1:]
        elif lead.endswith(":"):
            text0 = first.text[0].lower() + first.text[1:] if _lowerable(first.text) else first.text
            out.append(Sentence(f"{lead[:-1]}, {text0}", [citation_for(first.passage, first.raw)]))
            picked = picked[1:]
        else:
            out.append(Sentence(lead))
        out.extend(Sentence(c.text, [citation_for(c.passage, c.raw)]) for c in picked)
        return out

    def select(self, question: str, passages: list[Passage]) -> list[_Candidate]:
        """The best speakable sentence answering ``question``, then up to two nearly as good ones
        in reading order.

        A passage qualifies when its text, heading and document name together contain enough of
        the question's meaningful words (all of them for one- or two-word questions, half for
        longer ones), so an answer is never built on a single incidental word. Within qualifying
        passages each sentence scores by the question words it holds (heading words count a
        little), slightly favouring higher-ranked passages and earlier sentences.
        """
        terms = list(dict.fromkeys(stem(t) for t in query_terms(question)))
        if not terms or not passages:
            return []
        # "which countries ...", "what time ...": the word after which/what names the kind of
        # answer ("the EU, the UK and Norway"), which the answering text rarely repeats
        kind = _answer_kind(question)
        required = [t for t in terms if t != kind] or terms
        need = len(required) if len(required) <= 2 else math.ceil(len(required) / 2)
        candidates: list[_Candidate] = []
        for rank, passage in enumerate(passages):
            heading = stems(passage.heading) | stems(passage.doc_name)
            body = stems(passage.text)
            if sum(t in body or t in heading for t in required) < need:
                continue
            head_hits = {t for t in terms if t in heading}
            for index, raw in enumerate(_passage_sentences(passage.text)):
                sentence_stems = stems(raw)
                hits = {t for t in terms if t in sentence_stems}
                if not hits and not head_hits:
                    continue
                spoken = speakable(raw)
                if len(words(spoken)) < 3:
                    continue
                score = (len(hits) + 0.4 * len(head_hits - hits)) / len(terms)
                score -= 0.04 * rank + 0.01 * index
                news = bool(hits - head_hits)  # says more than the section's topic
                candidates.append(
                    _Candidate(score, rank, index, spoken, passage, raw, news, bool(head_hits))
                )
        if not candidates:
            return []
        candidates.sort(key=lambda c: -c.score)
        best = candidates[0].score
        chosen: list[_Candidate] = []
        seen: set[str] = set()
        total = 0
        for c in candidates:
            if len(chosen) >= self.max_sentences or c.score < 0.8 * best:
                break
            if c.text.lower() in seen or (chosen and total + len(c.text) > self.max_chars):
                continue
            if chosen and not c.news:
                continue  # extra sentences must match the question, not just the heading
            if chosen and c.passage is not chosen[0].passage and not c.on_topic:
                continue  # another section that merely shares a word ("costs") is off topic
            chosen.append(c)
            seen.add(c.text.lower())
            total += len(c.text)
        return chosen[:1] + sorted(chosen[1:], key=lambda c: (c.rank, c.index))


def classify(text: str) -> tuple[str, str]:
    """(intent, remainder): a social intent, "hello" with a possible question after it,
    "question", or "empty"."""
    lowered = text.lower().strip()
    if not words(lowered):
        return "empty", ""
    short = len(words(lowered)) <= _SOCIAL_MAX_WORDS
    for intent, pattern in _SOCIAL:
        m = pattern.search(lowered)
        if not m:
            continue
        if intent == "hello":
            rest = text[m.end() :].lstrip(" ,.!;:-")
            rest = re.sub(r"^(there|everyone|all|friend|traveller)\b[ ,.!]*", "", rest, flags=re.I)
            return "hello", rest
        if short or m.start() == 0 and m.end() >= len(lowered.rstrip(" ?!.")):
            return intent, ""
    return "question", text


_KIND = re.compile(r"\b(?:which|what)\s+([^\W\d_]+)", re.I)


def _answer_kind(question: str) -> str | None:
    """The stemmed noun of "which X" / "what X" when X is a meaningful word, else None."""
    m = _KIND.search(question)
    if not m or not query_terms(m.group(1)):
        return None
    return stem(m.group(1).lower())


def _led_last_time(persona: Persona, history: list[Turn]) -> bool:
    """Whether the character's previous reply opened with one of its lead-ins."""
    last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    if not last:
        return False
    options = persona.spec.phrases.get("lead_in") or ()
    heads = [o.split("{", 1)[0].rstrip(" :") for o in options]
    opening = " ".join(split_sentences(last)[:2])  # after a possible greeting
    return any(h and h in opening for h in heads)


def _passage_sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in re.split(r"\n+", text):
        if is_table_row(line):
            continue
        out.extend(split_sentences(line))
    return out


def _topics(passages: list[Passage]) -> dict[str, str]:
    names = list(dict.fromkeys(_spoken_name(p.doc_name) for p in passages))[:3]
    return {"topics": " and ".join(names)} if names else {}


def _spoken_name(name: str) -> str:
    stemmed = re.sub(r"\.(pdf|docx?|txt|md|html?)$", "", name.strip(), flags=re.I)
    spoken = " ".join(re.sub(r"[_\-]+", " ", stemmed).split())
    if not spoken:
        return "the documents"
    return f"the {spoken}" if spoken[0].islower() else spoken


def _lowerable(text: str) -> bool:
    first = text.split(" ", 1)[0]
    return first[:1].isupper() and first[1:].islower() and first not in ("I",)
