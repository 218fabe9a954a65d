"""Words that carry meaning in a user's question, shared by retrieval and answer selection.

``query_terms`` drops stop words and question words so "what is the refund policy?" searches
for ``refund``, ``policy``. ``stem`` is a light suffix stripper (plurals, -ing, -ed, -ly) for
matching words in sentences; the index itself uses its engine's own stemmer.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

_STOP_WORDS_TEXT = """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having
    he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm
    i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor not
    of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's
    where where's which while who who's whom why why's with won't would wouldn't you you'd
    you'll you're you've your yours yourself yourselves tell please know explain describe give
    get gets got say said many much also just like thing things anything something someone
    anyone does
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
# after "how" these words only ask for a quantity ("how long is the warranty?"): the answer
# says "two years", not "long", so they must not be required of it
_HOW_MODIFIERS = frozenset(
    [
        "long",
        "often",
        "far",
        "old",
        "big",
        "large",
        "soon",
        "fast",
        "quickly",
        "high",
        "tall",
        "late",
        "early",
        "heavy",
        "wide",
    ]
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, inner apostrophes kept)."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


# everyday phrasings of what documents name with one word: a matcher of words (not meaning)
# would otherwise miss the most common customer questions
_PHRASES = [
    (re.compile(r"\b(my |the |your )?money back\b", re.I), "refund"),
    (re.compile(r"\bsend (it |them |this )?back\b", re.I), "return"),
    (re.compile(r"\b(get in touch( with)?|reach (you|someone|support))\b", re.I), "contact"),
    (re.compile(r"\bopening (hours|times)\b", re.I), "open hours"),
]


def query_terms(text: str, *, limit: int = 24) -> list[str]:
    """Distinct meaningful words of ``text`` in order. Empty when every word is a stop word
    ("who are you?"): such text has nothing to search for."""
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    tokens = words(text)
    kept = [
        w
        for i, w in enumerate(tokens)
        if w not in STOP_WORDS
        and (len(w) > 1 or w.isdigit())
        and not (i and tokens[i - 1] == "how" and w in _HOW_MODIFIERS)
    ]
    seen: dict[str, None] = {}
    for w in kept:
        seen.setdefault(w[:-2] if w.endswith("'s") else w, None)
    return list(seen)[:limit]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stem: enough that "refunds", "refunded" and "refund" meet."""
    base = _strip_suffix(word.lower())
    return base[:-1] if len(base) > 4 and base.endswith("e") else base


def _strip_suffix(w: str) -> str:
    if len(w) <= 3:
        return w
    for suffix, keep in (
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                return w
            if suffix == "es" and not w.endswith(("ches", "shes", "xes", "zes", "sses")):
                return w[:-1]
            base = w[: len(w) - len(suffix)] + keep
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2]:
                base = base[:-1]  # "stopped" -> "stop"
            return base
    return w


def stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)}
