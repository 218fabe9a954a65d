"""What the user is doing with an utterance, and what a terse follow-up is about.

``classify`` recognises dialogue acts (greeting, thanks, goodbye, "who are you", "what can you
do", small talk such as "how are you", "tell me a joke", "are you a robot?", compliments and
acknowledgements) so the character answers them in its own voice instead of searching its
documents for "joke". A short utterance that starts with an act and goes on with a question
("Thanks! And on Sundays?") is both: the act's phrase, then the answer.

``resolve`` gives an elliptical follow-up its topic: "And on Sundays?" after "When are you open
on Saturdays?" is searched as both together, and ``focus`` says which words are new (the
answer must be about Sundays, not Saturdays). Retrieval and the embedded brain use the same
resolution, so they agree on what was asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kinema.knowledge.terms import query_terms, words

if TYPE_CHECKING:
    from kinema.brain.base import Turn

# order matters: a greeting first ("hi, who are you?" is a hello, then a question)
ACTS: list[tuple[str, re.Pattern[str]]] = [
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
            r"|what can i ask|what are you able to|what do you do)\b"
        ),
    ),
    (
        "how_are_you",
        re.compile(
            r"\b(how are you|how r u|how'?s it going|how are things|how do you do"
            r"|how have you been|what'?s up|how'?s your day)\b"
        ),
    ),
    (
        "human",
        re.compile(
            r"\b(are you (an? )?(human|real|robot|bot|ai|person|machine|computer|alive|chatbot)"
            r"|are you for real)\b"
        ),
    ),
    ("joke", re.compile(r"\b(tell me a joke|know any jokes?|say something funny|make me laugh)\b")),
    (
        "compliment",
        re.compile(
            r"\b(you('re| are) (so |really |very )?(great|awesome|amazing|smart|clever|funny"
            r"|helpful|nice|cool|the best|brilliant|lovely|wonderful)|i (like|love) you"
            r"|good job|well done|nice work)\b"
        ),
    ),
    ("thanks", re.compile(r"\b(thanks|thank you|thank u|thx|cheers|much appreciated)\b")),
    ("bye", re.compile(r"\b(bye|goodbye|good bye|see you|see ya|farewell|good night)\b")),
    (
        "ack",
        re.compile(
            r"^(ok(ay)?|cool|great|nice|got it|i see|alright|all right|sure|perfect|fine"
            r"|understood|makes sense|sounds good|good)\b"
        ),
    ),
]
SOCIAL_MAX_WORDS = 9
_ADDRESS = re.compile(r"^(there|everyone|all|friend|traveller|mate)\b[ ,.!]*", re.I)


def classify(text: str) -> tuple[str, str]:
    """(act, remainder): a dialogue act and what follows it, "question" with the whole text,
    or "empty". A social act inside a long sentence ("thanks, but how many days carry over
    into next year?") is a question; "hello" always counts as a greeting first."""
    lowered = text.lower().strip()
    if not words(lowered):
        return "empty", ""
    short = len(words(lowered)) <= SOCIAL_MAX_WORDS
    for act, pattern in ACTS:
        m = pattern.search(lowered)
        if not m:
            continue
        rest = text[m.end() :].lstrip(" ,.!;:-?")
        if act == "hello":
            return "hello", _ADDRESS.sub("", rest)
        covers = m.start() == 0 and m.end() >= len(lowered.rstrip(" ?!."))
        if act == "ack" and not covers and asks(rest):
            continue  # "fine, and what about ..." is a question
        if short or covers:
            return act, rest if m.start() == 0 and asks(rest) else ""
    return "question", text


_ASKING = re.compile(
    r"^(what|when|where|who|whom|whose|why|how|which|can|could|do|does|did|is|are|was|will"
    r"|would|should|may|and|also|tell|but|what's|where's|how's)\b",
    re.I,
)


def asks(text: str) -> bool:
    """Whether ``text`` (what follows a social opener) is a question of its own."""
    text = text.strip()
    return (
        len(words(text)) >= 2
        and bool(query_terms(text))
        and (text.endswith("?") or bool(_ASKING.match(text)))
    )


_FOLLOW_UP_START = re.compile(
    r"^(and|but|also|or|what about|how about|and what about|what if|then|so)\b", re.I
)
# words that point back at the last topic; "there" only as a place ("is there a ..." asks anew)
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|that|this|those|these|one)\b|(?<!\bis )(?<!\bare )\bthere\b",
    re.I,
)


@dataclass(frozen=True)
class Resolved:
    """A question with its topic: ``query`` to search, ``focus`` the words the user just said
    (the answer must hold these), ``follow_up`` whether history supplied the topic."""

    query: str
    focus: tuple[str, ...]
    follow_up: bool
    focus_text: str = ""  # the words just said, as said


_LEADING_ACK = re.compile(
    r"^(ok(ay)?|good|great|cool|thanks|thank you|alright|right|fine|sure|hmm+|i see|nice)"
    r"\b[,.!]*\s*",
    re.I,
)


def is_follow_up(text: str) -> bool:
    """Whether ``text`` leans on the previous question: "and on Sundays?", "what about the
    tube?", "how much is it?", "price?". A full question ("Where is the shop?") does not."""
    text = _LEADING_ACK.sub("", text.strip())
    terms = query_terms(text)
    if _FOLLOW_UP_START.match(text) and len(terms) <= 4:
        return True
    if len(terms) <= 2 and _PRONOUN.search(text):
        return True
    return len(terms) <= 1 and not _ASKING.match(text)


def resolve(text: str, history: list[Turn] | None = None, *, depth: int = 3) -> Resolved:
    """The question ``text`` with the topic of the earlier user turns it leans on."""
    text = " ".join(text.split())
    focus = tuple(query_terms(text))
    users = [t.content for t in (history or []) if t.role == "user" and t.content.strip()]
    if not users or not is_follow_up(text):
        return Resolved(text, focus, False, text)
    previous = users[-1]
    act, rest = classify(previous)
    if act != "question":
        previous = rest
    if not query_terms(previous):
        return Resolved(text, focus, False, text)
    earlier = resolve(previous, _turns(users[:-1]), depth=depth - 1) if depth > 1 else None
    topic = earlier.query if earlier is not None else previous
    return Resolved(f"{topic} {text}", focus, True, text)


def _turns(contents: list[str]) -> list[Turn]:
    from kinema.brain.base import Turn

    return [Turn("user", c) for c in contents]
