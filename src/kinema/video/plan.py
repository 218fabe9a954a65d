"""Prompt → scene plan: the compositor's documented vocabulary.

The compositor is a 2.5D animatic engine, not a diffusion model: it understands a fixed set of
phrases and says which ones it used (``understood``) and which words it could not use
(``ignored``). The vocabulary (synonyms in brackets):

- camera: static [locked off, still camera], push in [zoom in, dolly in, move in], pull out
  [zoom out, dolly out, pull back], pan left/right, tilt up/down, orbit [arc, circles around],
  slow rotation [rotate, rotating, roll], dolly left/right [truck, tracking shot], handheld
  [shaky cam]; "slow"/"fast" before a move scales its speed.
- shot: close-up [closeup, portrait shot], medium shot, wide shot [establishing, long shot].
- light and time: golden hour [sunset, sunrise, dawn, dusk, warm light], night [moonlight,
  midnight], neon [cyberpunk], studio [studio lighting, softbox], overcast [cloudy, grey day],
  dramatic [moody, chiaroscuro, low key].
- weather: rain [rainy, raining, storm], snow [snowy, snowing, blizzard], fog [foggy, mist,
  misty, haze], dust [dusty, sandstorm].
- subject action: walks left/right [moves, runs, drives], turns [turns around, looks back],
  approaches [walks toward the camera, comes closer], recedes [walks away].
- depth of field: shallow depth of field [bokeh, blurred background, shallow focus], deep focus.
- position: on the left, on the right, in the centre [in the middle, centred] — where a single
  cut-out reference or the main drawn subject stands (a first frame's subject stays put).
- scene nouns drawn as simple shapes in text-only prompts: sky, sun, moon, stars, clouds,
  mountain(s), hill(s), sea/ocean/lake/water/beach, road/street, city/skyline/buildings,
  house, lighthouse, rooftop/roof, tree(s)/forest, car, boat, person/man/woman/figure, with
  colour words before them.
- honest refusals: without a first frame, a prompt naming a thing outside this vocabulary
  ("office lobby", "luxury watch") is refused (``check_drawable``), naming the words and what
  to give instead (an image, or a reference bound with an @tag) — never an unrelated scene.
- ``@tag`` mentions bind reference images; an ``@tag`` without a matching reference is ignored.
- dialogue: ``@hero says "..."`` (or ``she says "..."`` for the main character; also asks,
  whispers, shouts, replies): the character speaks the line in its voice, lip-synced.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from kinema.errors import InvalidInput

# phrase -> canonical value; longest phrases are matched first
CAMERA: dict[str, str] = {
    "static": "static",
    "static camera": "static",
    "locked off": "static",
    "still camera": "static",
    "locked-off": "static",
    "push in": "push_in",
    "pushes in": "push_in",
    "zoom in": "push_in",
    "zooms in": "push_in",
    "dolly in": "push_in",
    "move in": "push_in",
    "moves in": "push_in",
    "push-in": "push_in",
    "pull out": "pull_out",
    "pulls out": "pull_out",
    "zoom out": "pull_out",
    "zooms out": "pull_out",
    "dolly out": "pull_out",
    "pull back": "pull_out",
    "pulls back": "pull_out",
    "pull-out": "pull_out",
    "pan left": "pan_left",
    "pans left": "pan_left",
    "pan right": "pan_right",
    "pans right": "pan_right",
    "pan": "pan_right",
    "panning": "pan_right",
    "tilt up": "tilt_up",
    "tilts up": "tilt_up",
    "tilt down": "tilt_down",
    "tilts down": "tilt_down",
    "tilt": "tilt_up",
    "orbit": "orbit",
    "orbits": "orbit",
    "orbiting": "orbit",
    "arc shot": "orbit",
    "circles around": "orbit",
    "slow rotation": "rotate",
    "rotation": "rotate",
    "rotate": "rotate",
    "rotates": "rotate",
    "rotating": "rotate",
    "roll": "rotate",
    "dolly left": "dolly_left",
    "dolly right": "dolly_right",
    "truck left": "dolly_left",
    "truck right": "dolly_right",
    "tracking shot": "dolly_right",
    "dolly": "push_in",
    "handheld": "handheld",
    "hand-held": "handheld",
    "shaky cam": "handheld",
    "shaky camera": "handheld",
}
SHOT: dict[str, str] = {
    "close-up": "close",
    "close up": "close",
    "closeup": "close",
    "portrait shot": "close",
    "extreme close-up": "close",
    "medium shot": "medium",
    "mid shot": "medium",
    "medium": "medium",
    "wide shot": "wide",
    "wide": "wide",
    "establishing shot": "wide",
    "long shot": "wide",
    "wide angle": "wide",
}
LIGHT: dict[str, str] = {
    "golden hour": "golden_hour",
    "sunset": "golden_hour",
    "sunrise": "golden_hour",
    "dawn": "golden_hour",
    "dusk": "golden_hour",
    "warm light": "golden_hour",
    "night": "night",
    "at night": "night",
    "nighttime": "night",
    "night time": "night",
    "moonlight": "night",
    "moonlit": "night",
    "midnight": "night",
    "neon": "neon",
    "neon lights": "neon",
    "cyberpunk": "neon",
    "studio": "studio",
    "studio lighting": "studio",
    "softbox": "studio",
    "overcast": "overcast",
    "cloudy": "overcast",
    "grey day": "overcast",
    "gray day": "overcast",
    "dramatic": "dramatic",
    "dramatic lighting": "dramatic",
    "moody": "dramatic",
    "chiaroscuro": "dramatic",
    "low key": "dramatic",
}
WEATHER: dict[str, str] = {
    "rain": "rain",
    "rainy": "rain",
    "raining": "rain",
    "storm": "rain",
    "downpour": "rain",
    "snow": "snow",
    "snowy": "snow",
    "snowing": "snow",
    "blizzard": "snow",
    "snowfall": "snow",
    "fog": "fog",
    "foggy": "fog",
    "mist": "fog",
    "misty": "fog",
    "haze": "fog",
    "hazy": "fog",
    "dust": "dust",
    "dusty": "dust",
    "sandstorm": "dust",
}
ACTION: dict[str, str] = {
    "walks left": "walk_left",
    "walking left": "walk_left",
    "moves left": "walk_left",
    "runs left": "walk_left",
    "drives left": "walk_left",
    "walks to the left": "walk_left",
    "walks right": "walk_right",
    "walking right": "walk_right",
    "moves right": "walk_right",
    "runs right": "walk_right",
    "drives right": "walk_right",
    "walks to the right": "walk_right",
    "turns": "turn",
    "turns around": "turn",
    "turning": "turn",
    "looks back": "turn",
    "turns her head": "turn",
    "turns his head": "turn",
    "approaches": "approach",
    "approaching": "approach",
    "walks toward the camera": "approach",
    "walks towards the camera": "approach",
    "comes closer": "approach",
    "walks forward": "approach",
    "recedes": "recede",
    "walks away": "recede",
    "moves away": "recede",
}
DOF: dict[str, str] = {
    "shallow depth of field": "shallow",
    "bokeh": "shallow",
    "blurred background": "shallow",
    "shallow focus": "shallow",
    "blurry background": "shallow",
    "depth of field": "shallow",
    "deep focus": "deep",
    "everything in focus": "deep",
}
SPEED: dict[str, float] = {
    "slow": 0.6,
    "slowly": 0.6,
    "gentle": 0.6,
    "gently": 0.6,
    "subtle": 0.5,
    "fast": 1.6,
    "quick": 1.6,
    "quickly": 1.6,
    "rapid": 1.8,
}
OBJECTS: dict[str, str] = {
    "sky": "sky",
    "sun": "sun",
    "moon": "moon",
    "stars": "stars",
    "starry": "stars",
    "cloud": "clouds",
    "clouds": "clouds",
    "mountain": "mountains",
    "mountains": "mountains",
    "hill": "hills",
    "hills": "hills",
    "sea": "sea",
    "ocean": "sea",
    "lake": "sea",
    "water": "sea",
    "beach": "beach",
    "waves": "sea",
    "harbour": "sea",
    "harbor": "sea",
    "bay": "sea",
    "coast": "sea",
    "lighthouse": "lighthouse",
    "rooftop": "roof",
    "roof": "roof",
    "roofs": "roof",
    "terrace": "roof",
    "road": "road",
    "street": "road",
    "highway": "road",
    "city": "city",
    "skyline": "city",
    "buildings": "city",
    "downtown": "city",
    "house": "house",
    "cabin": "house",
    "tree": "trees",
    "trees": "trees",
    "forest": "trees",
    "woods": "trees",
    "car": "car",
    "truck": "car",
    "boat": "boat",
    "ship": "boat",
    "person": "person",
    "man": "person",
    "woman": "person",
    "figure": "person",
    "girl": "person",
    "boy": "person",
    "astronaut": "person",
    "field": "field",
    "meadow": "field",
    "grass": "field",
    "desert": "desert",
    "dunes": "desert",
}
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 35),
    "blue": (40, 80, 200),
    "green": (40, 150, 60),
    "yellow": (235, 200, 40),
    "orange": (235, 120, 30),
    "purple": (120, 50, 160),
    "pink": (230, 110, 170),
    "white": (235, 235, 235),
    "black": (25, 25, 28),
    "grey": (128, 128, 128),
    "gray": (128, 128, 128),
    "silver": (180, 185, 190),
    "brown": (120, 75, 40),
    "gold": (212, 170, 60),
    "golden": (212, 170, 60),
}
# words that carry no visual meaning; neither understood nor worth reporting as ignored
_STOP = """
a an the of in on at to and with into onto from by for as is are its it
this that his her their there while then very camera shot scene video image frame
over under near next behind front toward towards through across up down
"""
STOPWORDS = frozenset(_STOP.split())

# words outside the vocabulary that do not name a thing to draw (look, quality, manner): they are
# reported as ignored but never make a prompt undrawable
_META = """
background foreground view style look looks mood atmosphere atmospheric lighting light lights
colour color colours colors tone tones footage film movie cinematic cinema photo photograph
picture angle composition aesthetic quality detail details resolution motion movement time day
moment side left right centre center middle top bottom distance way hd uhd 4k 8k fps render
rendering realism lens shot shots take closeup portrait
"""
_MODIFIERS = """
beautiful cinematic realistic photorealistic hyperrealistic detailed epic stunning gorgeous
pretty lovely nice big small large tiny huge giant old young new tall short long modern ancient
vintage retro bright dark soft hard warm cold cool quiet busy empty crowded lonely happy sad
calm peaceful serene elegant luxurious cozy cosy rustic futuristic sleek shiny glossy wet dry
clean dirty high low distant nearby far close ultra highly extremely super really quite
slightly subtle smooth sharp crisp vivid vibrant muted pastel colourful colorful deep shallow
dim glowing lush wide narrow open closed full half dense sparse rich simple tidy messy sunny
rainy snowy windy stormy foggy misty icy hot fresh rough still moving standing sitting lying
young elderly middle-aged handsome smiling serious confident tired walk walks walked walking
enter enters entered entering leave leaves leaving stand stands sit sits look looks looking
smile smiles talk talks talking speak speaks speaking say says said run runs running move moves
flying fly flies drive drives driving dance dances dancing hold holds holding wear wears
wearing read reads reading wait waits waiting watching appear appears glow glows shine shines
shining fall falls falling rise rises rising flow flows flowing pass passes passing cross
crosses turn turns turning stroll strolls strolling along around past beyond inside outside
between above below beside among against upon within without older younger bigger smaller
taller darker brighter stride strides striding gaze gazes gazing stare stares staring lit
filled covered made set seen shown wearing dressed carrying carries carry sits seated alone
together
"""
NON_NOUNS = frozenset((_META + _MODIFIERS).split())
# -ing / -ly / -ed words that are nouns all the same
_NOUNS_DESPITE_SUFFIX = frozenset(
    """
    building ceiling painting clothing evening morning wedding ring king thing string swing
    wing spring railing sibling pudding landing lightning awning housing opening setting ending
    crossing clearing carving drawing earring sling family fly belly lily jelly rally butterfly
    dragonfly firefly bed shed sled
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def names_a_thing(word: str) -> bool:
    """Whether an out-of-vocabulary word is (likely) a noun naming something to draw, not a
    modifier or a verb. A word list and suffixes, not a parser: it errs toward "a thing", since
    refusing with a clear message beats drawing an unrelated picture."""
    if word in NON_NOUNS:
        return False
    if word in _NOUNS_DESPITE_SUFFIX:
        return True
    suffixed = word.endswith(("ing", "ly", "ed", "ful", "ous", "ive", "less", "ish"))
    return not (len(word) > 4 and suffixed)


POSITION: dict[str, str] = {
    "on the left": "left", "at the left": "left", "left side": "left", "on the right": "right",
    "at the right": "right", "right side": "right", "in the center": "centre",
    "in the centre": "centre", "in the middle": "centre", "centered": "centre",
    "centred": "centre",
}  # fmt: skip
POSITION_X = {"left": 0.3, "centre": 0.5, "right": 0.7}

_TABLES: list[tuple[str, dict]] = [
    ("action", ACTION),
    ("camera", CAMERA),
    ("shot", SHOT),
    ("light", LIGHT),
    ("weather", WEATHER),
    ("dof", DOF),
    ("position", POSITION),
]


@dataclass
class ScenePlan:
    """What the compositor will do; JSON-serialisable through ``to_dict``."""

    camera: list[str] = field(default_factory=list)  # moves, combined in order
    speed: float = 1.0
    shot: str | None = None  # close | medium | wide
    light: str | None = None
    weather: list[str] = field(default_factory=list)
    action: str | None = None
    action_phrase: str | None = None
    dof: str | None = None  # shallow | deep
    position: str | None = None  # left | centre | right: where the main subject stands
    position_phrase: str | None = None
    objects: list[tuple[str, str | None]] = field(default_factory=list)  # (noun, colour)
    object_phrases: list[str] = field(default_factory=list)  # the words that named them
    tags: list[str] = field(default_factory=list)  # @tags bound to references
    understood: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # runs of out-of-vocabulary words ending in a noun ("office lobby", "luxury watch"): what
    # the prompt names that the compositor cannot draw
    unknown_things: list[str] = field(default_factory=list)
    # quoted lines: (speaker @tag without "@", or None for the main character, text)
    dialogue: list[tuple[str | None, str]] = field(default_factory=list)

    def drop_position(self) -> None:
        """The subject could not be placed (it comes from the first frame): say so."""
        if self.position_phrase and self.position_phrase in self.understood:
            self.understood.remove(self.position_phrase)
            self.ignored.append(self.position_phrase)
        self.position = self.position_phrase = None

    def drop_action(self) -> None:
        """The action cannot be shown honestly (a cut-out person does not walk): say so."""
        if self.action_phrase and self.action_phrase in self.understood:
            self.understood.remove(self.action_phrase)
            self.ignored.append(self.action_phrase)
        self.action = self.action_phrase = None

    def drop_objects(self) -> None:
        """The scene comes from an image, so named objects are not drawn: report them as
        ignored rather than understood."""
        for phrase in self.object_phrases:
            if phrase in self.understood:
                self.understood.remove(phrase)
                self.ignored.append(phrase)
        self.objects, self.object_phrases = [], []

    def to_dict(self) -> dict:
        d = asdict(self)
        d["objects"] = [list(o) for o in self.objects]
        return d


def _phrase_regex(table: dict[str, str]) -> re.Pattern[str]:
    keys = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w-])")


_REGEX = {name: _phrase_regex(table) for name, table in _TABLES}
_TAG = re.compile(r"@([A-Za-z0-9_][\w-]*)")
_SAYS = re.compile(
    r"(?:@(?P<tag>[A-Za-z0-9_][\w-]*)\s+|\b(?:he|she|they|it|the \w+)\s+)?"
    r"\b(?:says|said|say|speaks|asks|whispers|shouts|replies|tells us)\s*[:,]?\s*"
    r"[\"\u201c](?P<line>[^\"\u201d]+)[\"\u201d]",
    re.IGNORECASE,
)


def parse_dialogue(prompt: str) -> tuple[list[tuple[str | None, str]], str]:
    """Quoted lines with their speakers, and the prompt with them blanked out (same length)."""
    lines: list[tuple[str | None, str]] = []
    out = prompt
    for m in _SAYS.finditer(prompt):
        text = " ".join(m.group("line").split())
        if text:
            lines.append((m.group("tag"), text))
        a, b = m.span()
        if m.group("tag"):
            a = m.start("tag") + len(m.group("tag"))  # keep the @tag: it binds the reference
        out = out[:a] + " " * (b - a) + out[b:]
    return lines, out


_WORD = re.compile(r"[a-z][a-z'-]*")


def parse_prompt(prompt: str, known_tags: set[str] | frozenset[str] = frozenset()) -> ScenePlan:
    """Parse ``prompt`` into a ``ScenePlan``; ``known_tags`` are the reference tags available."""
    plan = ScenePlan()
    plan.dialogue, prompt = parse_dialogue(prompt)
    for tag, line in plan.dialogue:
        plan.understood.append(f'{"@" + tag + " " if tag else ""}says "{line}"')
    text = prompt.lower()
    spans: list[tuple[int, int]] = []

    def taken(a: int, b: int) -> bool:
        return any(a < e and s < b for s, e in spans)

    for m in _TAG.finditer(prompt):
        tag = m.group(1)
        spans.append(m.span())
        if tag in known_tags or tag.lower() in {t.lower() for t in known_tags}:
            if tag not in plan.tags:
                plan.tags.append(tag)
                plan.understood.append("@" + tag)
        else:
            plan.ignored.append("@" + tag)

    for name, table in _TABLES:
        for m in _REGEX[name].finditer(text):
            a, b = m.span()
            if taken(a, b):
                continue
            value = table[m.group(1)]
            spans.append((a, b))
            plan.understood.append(m.group(1))
            if name == "camera":
                if value not in plan.camera:
                    plan.camera.append(value)
            elif name == "weather":
                if value not in plan.weather:
                    plan.weather.append(value)
            elif name == "action":
                if plan.action is None:
                    plan.action, plan.action_phrase = value, m.group(1)
            elif name == "position":
                if plan.position is None:
                    plan.position, plan.position_phrase = value, m.group(1)
            elif getattr(plan, name) is None or (name == "light" and value == "neon"):
                setattr(plan, name, value)  # neon implies night, so it wins over it

    # single words: speed, colours + objects
    pending_colour: str | None = None
    run: list[str] = []  # consecutive out-of-vocabulary words

    def close_run() -> None:
        while run and not names_a_thing(run[-1]):
            run.pop()
        while run and run[0] in NON_NOUNS:
            run.pop(0)
        if run:
            phrase = " ".join(run)
            if phrase not in plan.unknown_things:
                plan.unknown_things.append(phrase)
        run.clear()

    prev_end = 0
    for m in _WORD.finditer(text):
        a, b = m.span()
        word = m.group(0).strip("'-")
        if re.search(r"[^\s]", text[prev_end:a].replace("'", "")) and run:
            close_run()  # punctuation or a tag between words ends a phrase
        prev_end = b
        if taken(a, b) or not word:
            close_run()
            continue
        if word in SPEED:
            plan.speed = SPEED[word]
            plan.understood.append(word)
        elif word in COLOURS:
            close_run()
            pending_colour = word
            plan.understood.append(word)
            continue
        elif word in OBJECTS:
            plan.objects.append((OBJECTS[word], pending_colour))
            phrase = word if pending_colour is None else f"{pending_colour} {word}"
            plan.understood.append(phrase)
            plan.object_phrases.append(phrase)
            if pending_colour is not None:
                plan.understood.remove(pending_colour)
        elif word not in STOPWORDS and len(word) > 1:
            plan.ignored.append(word)
            run.append(word)
            pending_colour = None
            continue
        close_run()
        pending_colour = None
    close_run()
    return plan


DRAWN_NOUNS = (
    "sky, sun, moon, stars, clouds, mountains, hills, sea, lake, beach, road, street, city, "
    "skyline, rooftop, house, lighthouse, trees, forest, field, desert, car, boat, person"
)


class UndrawablePrompt(InvalidInput):
    """The prompt names things the compositor cannot draw and no image shows them."""

    def __init__(self, phrases: list[str], message: str) -> None:
        super().__init__(message, field="promptText")
        self.phrases = phrases


def undrawable(
    plan: ScenePlan, *, first_frame: bool, location: bool, untagged_refs: int = 0
) -> list[str]:
    """The things ``plan`` names that would not be in the picture: nothing when a first frame
    gives the scene (its nouns are merely ignored); otherwise every out-of-vocabulary noun
    phrase, less one per untagged reference that may be showing it (the location plate
    counts as one)."""
    if first_frame:
        return []
    spare = untagged_refs + (1 if location else 0)
    return plan.unknown_things[spare:]


def refusal(phrases: list[str]) -> UndrawablePrompt:
    quoted = ", ".join(f"'{p}'" for p in phrases)
    many = len(phrases) > 1
    return UndrawablePrompt(
        phrases,
        f"promptText: the compositor cannot draw {quoted}: {'they are' if many else 'it is'} "
        f"not in its vocabulary ({DRAWN_NOUNS}), and no image shows {'them' if many else 'it'}. "
        "Give a first frame (promptImage), or a reference image of "
        f"{'them' if many else 'it'} (a location reference for a place, an object or character "
        "reference for a thing or a person, bound with an @tag), or describe the scene with "
        "the words it draws.",
    )


def check_drawable(
    prompt: str,
    *,
    first_frame: bool = False,
    references: list[tuple[str | None, str]] | None = None,
) -> ScenePlan:
    """Parse ``prompt`` and raise ``UndrawablePrompt`` (a 400 naming the words) when it names
    things no input can show. ``references`` are ``(tag, type)`` pairs. Edits (video input)
    and non-compositor engines are not checked: call this only for compositor generations."""
    refs = references or []
    plan = parse_prompt(prompt, {t for t, _ in refs if t})
    bound = {t.lower() for t in plan.tags}
    untagged = sum(
        1
        for t, kind in refs
        if kind != "location" and kind != "style" and (not t or t.lower() not in bound)
    )
    location = any(kind == "location" for _, kind in refs)
    missing = undrawable(plan, first_frame=first_frame, location=location, untagged_refs=untagged)
    if missing:
        raise refusal(missing)
    return plan
