"""Client-event tools: named actions a session can ask its client to perform.

The embedded brain has no function calling, so a tool fires when the user's words name it
(all words of its name) or hit at least two keywords of its description.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    {"the", "and", "for", "with", "this", "that", "from", "into", "when", "user", "asks"}
    | {"about", "show", "open", "your", "please", "can", "could", "would", "will"}
)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class ClientTool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    def matches(self, text: str) -> bool:
        said = _words(text)
        name_words = _words(self.name.replace("_", " ").replace("-", " "))
        if name_words and name_words <= said:
            return True
        keys = {w for w in _words(self.description) if len(w) > 3 and w not in _STOP}
        return len(keys & said) >= 2

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClientTool:
        return cls(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            parameters=dict(data.get("parameters") or {}),
        )
