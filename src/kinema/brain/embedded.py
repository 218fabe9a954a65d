"""The embedded brain: an offline, deterministic, retrieval-grounded responder. Not an LLM.

It never writes new content. Dialogue acts (greetings, thanks, goodbyes, "how are you", "who are
you", "what can you do", jokes, "are you a robot?", compliments, "ok") get the persona's own
phrasings (``kinema.brain.dialogue``). Anything else is answered *extractively*: a terse
follow-up is first given its topic from the conversation ("and on Sundays?"), then from the
retrieved passages it quotes the one or two sentences that answer best — by meaning (the
sentence vectors stored at indexing, compared with the question's), helped by shared words —
trimmed to speak well and worded in the persona's register (formal speech spells contractions
out, casual speech contracts). Its confidence decides what it says:

- high: the answer, with a lead-in now and then;
- medium: a hedge ("I'm not completely sure this is what you mean, but ...") and the answer;
- low: it says it doesn't know, and what it can help with; a question far from every document
  gets a polite in-character deflection naming the documents' topics.

Same input, same output: it is the default because it needs no GPU, no network and no LLM.

To plug in a language model, run any OpenAI-compatible server (Ollama, vLLM, llama.cpp server,
OpenAI) and select it::

    KINEMA_BRAIN=openai KINEMA_LLM_BASE_URL=http://127.0.0.1:11434/v1 KINEMA_LLM_MODEL=llama3.1

or write a class with ``name`` and an ``async def reply(...)`` generator (see
``kinema.brain.base.Brain``) and add it to ``kinema.brain.base.BRAINS``.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from kinema.brain.base import Sentence, Turn, citation_for
from kinema.brain.dialogue import Resolved, classify, resolve
from kinema.brain.persona import Persona
from kinema.brain.register import in_register
from kinema.brain.speech import speakable
from kinema.knowledge.index import Passage
from kinema.knowledge.sentences import passage_sentences, split_sentences
from kinema.knowledge.terms import query_terms, stem, stems, words

__all__ = ["EmbeddedBrain", "classify", "trim_for_speech"]

# confidence: the mean of two MiniLM cosines, question ↔ best sentence and question ↔ its
# passage (0 when the passage was found by words only); calibrated on bench/paraphrases.py
HIGH = 0.45  # this close answers the question
MEDIUM = 0.35  # close enough to offer with a hedge; also enough when the words match too

_ASIDE = re.compile(
    r"\s*\((?:see|cf\.?|e\.g\.|i\.e\.|fig\.?|figure|table|page|pp?\.|section|chapter|§|ref)"
    r"[^()]*\)",
    re.I,
)
_LABEL = re.compile(r"^([A-Z][\w'’ -]{1,40}):\s+(?=[A-Za-z])")
_CONTINUES = re.compile(
    r"^(it|this|that|they|these|those|its|their|there|then|also|but|so)\b", re.I
)


@dataclass(frozen=True)
class _Candidate:
    score: float  # ranking score: meaning plus shared words
    semantic: float | None  # cosine question ↔ sentence (None without vectors)
    rank: int  # the passage's rank in retrieval
    index: int  # the sentence's index in its passage
    text: str  # spoken form
    passage: Passage
    raw: str  # as in the document (the citation's snippet)
    news: bool  # says more than the section's topic
    on_topic: bool  # the passage's heading or document name holds a question word
    focus: bool  # holds the words the user just said (follow-ups)


class EmbeddedBrain:
    """Retrieval-grounded extractive responder (see module docstring)."""

    name = "embedded"

    def __init__(self, *, max_sentences: int = 2, max_chars: int = 360) -> None:
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
        if not persona.topics and passages:
            persona = _with_passage_topics(persona, passages)
        act, rest = classify(text)
        if act == "empty":
            return [Sentence(persona.phrase("unclear", seed=seed))]
        out: list[Sentence] = []
        if act != "question":
            said = persona.phrase(act, seed=seed)
            if not rest:
                return [Sentence(said)]
            out.append(Sentence(split_sentences(said)[0] if act == "hello" else said))
            then, rest2 = classify(rest)
            if then not in ("question", "hello"):  # "hi, who are you?"
                out.append(Sentence(persona.phrase(then, seed=seed)))
                return out
            text = rest if then == "question" else rest2
            if not text:
                return out
        resolved = resolve(text, history)
        return out + self.answer(persona, history, resolved, passages, seed)

    def answer(
        self,
        persona: Persona,
        history: list[Turn],
        resolved: Resolved,
        passages: list[Passage],
        seed: str,
    ) -> list[Sentence]:
        """Sentences answering ``resolved`` from ``passages``, or the honest decline."""
        picked, level = self.select(resolved, passages)
        if level == "none":
            return self.decline(persona, passages, seed)
        register = persona.register
        spoken = [in_register(c.text, register) for c in picked]
        cites = [[citation_for(c.passage, c.raw)] for c in picked]
        out: list[Sentence] = []
        if level == "medium":
            out.append(Sentence(persona.phrase("hedge", seed=seed)))
        else:
            lead = persona.phrase(
                "lead_in", seed=seed, doc=_spoken_name(picked[0].passage.doc_name)
            )
            if _led_last_time(persona, history):  # a lead-in on every answer sounds canned
                pass
            elif lead.endswith(":"):
                first = spoken[0]
                first = first[0].lower() + first[1:] if _lowerable(first) else first
                spoken[0] = f"{lead[:-1]}, {first}"
            else:
                out.append(Sentence(lead))
        out.extend(Sentence(t, c) for t, c in zip(spoken, cites, strict=True))
        if register == "humorous" and zlib.crc32(f"quip:{seed}".encode()) % 2 == 0:
            out.append(Sentence(persona.phrase("quip", seed=seed)))
        return out

    def decline(self, persona: Persona, passages: list[Passage], seed: str) -> list[Sentence]:
        """ "I don't know", then what it can help with; far from every document, a deflection."""
        if persona.topics and not passages:
            return [Sentence(persona.phrase("off_topic", seed=seed))]
        kind = "unknown" if persona.knowledge_only else "unsure"
        out = [Sentence(persona.phrase(kind, seed=seed))]
        if persona.topics:
            out.append(Sentence(persona.phrase("capabilities", seed=seed)))
        return out

    def select(
        self, resolved: Resolved | str, passages: list[Passage]
    ) -> tuple[list[_Candidate], str]:
        """The sentences to quote and the confidence: "high", "medium" or "none".

        With sentence vectors each sentence scores by its cosine to the question, plus a share
        for the question words it holds; the best one is quoted, with a second from the same
        passage when it is nearly as good or continues the first ("It ..."). Without vectors
        (``KINEMA_EMBEDDER=none``) a passage qualifies only when it holds enough of the
        question's meaningful words (all for one- or two-word questions, half for longer
        ones), so an answer is never built on a single incidental word.
        """
        if isinstance(resolved, str):
            resolved = Resolved(resolved, tuple(query_terms(resolved)), False)
        terms = list(dict.fromkeys(stem(t) for t in query_terms(resolved.query)))
        focus = {stem(t) for t in resolved.focus} if resolved.follow_up else set()
        if not terms or not passages:
            return [], "none"
        kind = _answer_kind(resolved.query)
        required = [t for t in terms if t != kind] or terms
        need = len(required) if len(required) <= 2 else math.ceil(len(required) / 2)
        candidates: list[_Candidate] = []
        covered: set[int] = set()
        # a word every retrieved sentence repeats ("the turbine of Kavelwex") tells them apart
        # less than a word only one holds ("pilot"): question words weigh by rarity (IDF)
        pool = [stems(raw) for p in passages for raw in passage_sentences(p.text)]
        weight = {t: math.log((len(pool) + 1) / (sum(t in x for x in pool) + 0.5)) for t in terms}
        for rank, passage in enumerate(passages):
            heading = stems(passage.heading) | stems(passage.doc_name)
            body = stems(passage.text)
            if sum(t in body or t in heading for t in required) >= need:
                covered.add(rank)
            raws = passage_sentences(passage.text)
            sims = passage.sentence_sims
            if sims is not None and len(sims) != len(raws):
                sims = None  # stored with another sentence splitter: words only
            if sims is None and rank not in covered:
                continue
            # a follow-up's topic words found the passage; its new words pick the sentence
            scoring = sorted(focus) if focus and sims is not None else terms
            head_hits = {t for t in scoring if t in heading}
            for index, raw in enumerate(raws):
                sentence_stems = stems(raw)
                hits = {t for t in scoring if t in sentence_stems}
                spoken = trim_for_speech(raw)
                if len(words(spoken)) < 3:
                    continue
                total = sum(weight.get(t, 1.0) for t in scoring) or 1.0
                lexical = (
                    sum(weight.get(t, 1.0) for t in hits)
                    + 0.4 * sum(weight.get(t, 1.0) for t in head_hits - hits)
                ) / total
                semantic = sims[index] if sims is not None else None
                if semantic is None:
                    if not hits and not head_hits:
                        continue
                    score = lexical
                else:
                    score = semantic + 0.25 * lexical
                has_focus = bool(focus) and focus <= sentence_stems
                score += 0.15 * has_focus
                fits = answer_type_fits(resolved.focus_text or resolved.query, raw)
                score += 0.06 if fits else (-0.03 if fits is False else 0.0)
                score -= 0.03 * rank + 0.005 * index
                news = bool(hits - head_hits)
                candidates.append(
                    _Candidate(
                        score, semantic, rank, index, spoken, passage, raw, news,
                        bool(head_hits), has_focus,
                    )
                )  # fmt: skip
        if not candidates:
            return [], "none"
        candidates.sort(key=lambda c: -c.score)
        best = candidates[0]
        level = _confidence(best, best.rank in covered, focus)
        if level == "none":
            return [], "none"
        return self._with_second(best, candidates), level

    def _with_second(self, best: _Candidate, candidates: list[_Candidate]) -> list[_Candidate]:
        chosen = [best]
        for c in candidates[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if c.passage is not best.passage or c.text.lower() == best.text.lower():
                continue
            if len(best.text) + len(c.text) > self.max_chars:
                continue
            follows = c.index == best.index + 1 and bool(_CONTINUES.match(c.raw))
            if best.semantic is not None and c.semantic is not None:
                close = c.semantic >= max(MEDIUM, best.semantic - 0.14)
            else:
                close = c.score >= 0.8 * best.score and c.news
            if close or (follows and c.score >= 0.6 * best.score):
                chosen.append(c)
        if len(chosen) == 2 and chosen[1].index == best.index - 1 and _CONTINUES.match(best.raw):
            chosen.reverse()  # "It ..." needs the sentence before it
        return chosen


def confidence(best: _Candidate) -> float | None:
    """How surely ``best`` answers: mean of its sentence's and its passage's cosine."""
    if best.semantic is None:
        return None
    return (best.semantic + (best.passage.similarity or 0.0)) / 2


def _confidence(best: _Candidate, covered: bool, focus: set[str]) -> str:
    if focus and not best.focus and best.semantic is None:
        return "none"  # a follow-up about something the text never names
    sure = confidence(best)
    if sure is None:
        return "high" if covered else "none"
    if sure >= HIGH or (sure >= MEDIUM and (covered or best.focus)):
        return "high"
    return "medium" if sure >= MEDIUM else "none"


def trim_for_speech(sentence: str) -> str:
    """A document sentence as it should be said: no references in brackets ("(see page 4)"),
    no leading label ("Return policy: customers may ..." → "Customers may ..."), no markup."""
    text = _ASIDE.sub("", sentence)
    m = _LABEL.match(text)
    if m and len(m.group(1).split()) <= 4 and len(words(text[m.end() :])) >= 4:
        rest = text[m.end() :]
        text = rest[0].upper() + rest[1:]
    return speakable(text)


_KIND = re.compile(r"\b(?:which|what)\s+([^\W\d_]+)", re.I)

# what kind of thing the question asks for, and what a sentence holding one looks like (the
# answer-type prior of factoid question answering): "how many days ...?" wants a number
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|half|dozen|free|percent"
)
_ANSWER_TYPES = [
    (
        re.compile(
            r"\bhow (many|much|long|often|far|old|soon|quickly|fast)\b|\bwhat (is the |are "
            r"the )?(price|cost|fee|number|percentage|amount|size)s?\b|\bhow big\b",
            re.I,
        ),
        re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I),
    ),
    (
        re.compile(r"^\s*when\b|\bwhat time\b|\bwhich days?\b|\bwhat days?\b", re.I),
        re.compile(
            r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|daily|"
            r"january|february|march|april|may|june|july|august|september|october|november|"
            r"december|\d{1,2}(:\d\d)?\s*(am|pm)|o'clock|noon|midnight|morning|evening|"
            r"night|year|month|week|days?)\b",
            re.I,
        ),
    ),
    (
        re.compile(r"^\s*where\b", re.I),
        re.compile(
            r"\b(street|road|avenue|square|lane|floor|building|next to|behind|near|opposite|"
            r"address|located|stop|station|garage|courtyard|entrance|\d+ \w+ (st|rd))\b",
            re.I,
        ),
    ),
    (re.compile(r"^\s*who\b", re.I), re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+")),
]


def answer_type_fits(question: str, sentence: str) -> bool | None:
    """Whether ``sentence`` holds the kind of thing ``question`` asks for (a number for "how
    many", a day or time for "when", a place for "where", a name for "who"); ``None`` when the
    question asks for no particular kind."""
    for asks, holds in _ANSWER_TYPES:
        if asks.search(question):
            return bool(holds.search(sentence))
    return None


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


def _with_passage_topics(persona: Persona, passages: list[Passage]) -> Persona:
    from dataclasses import replace

    names = tuple(dict.fromkeys(_spoken_name(p.doc_name) for p in passages))[:3]
    return replace(persona, topics=names)


def _spoken_name(name: str) -> str:
    stemmed = re.sub(r"\.(pdf|docx?|txt|md|html?)$", "", name.strip(), flags=re.I)
    spoken = " ".join(re.sub(r"[_\-]+", " ", stemmed).split())
    if not spoken:
        return "the documents"
    return f"the {spoken}" if spoken[0].islower() else spoken


def _lowerable(text: str) -> bool:
    first = text.split(" ", 1)[0]
    return first[:1].isupper() and first[1:].islower() and first not in ("I",)
