"""Who the character is: a template or free text → a system prompt, a greeting, a register.

``Persona`` is what the platform stores per character. ``TEMPLATES`` holds the six built-in
personalities; each has a prompt for LLM brains and its own phrasings (greeting, thanks,
"I don't know", ...) that the embedded responder speaks, so a Game NPC and a Support Agent
sound different even without a language model. ``knowledge_only`` makes the character decline
rather than invent when its documents hold no answer.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

from kinema.errors import InvalidInput


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    role: str  # "a friendly assistant": used in "I'm {name}, {role}."
    prompt: str
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)


# phrase kinds: greeting (start of a conversation), hello, thanks, bye, how_are_you, identity,
# capabilities, lead_in (before an answer; may use {doc}), unknown (knowledge-only decline),
# unsure (no answer found, open mode), unclear (not a question we can work with), off_topic
# (a question far from every document: a polite deflection naming {topics}), joke, human ("are
# you a robot?"), compliment, ack ("ok", "got it"), hedge (before an answer the brain is not
# sure of), quip (humorous register: a tag after an answer), trouble (the backend failed: an
# apology; templates without one use the default template's)
TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        Template(
            "friendly_assistant",
            "Friendly Assistant",
            "a friendly assistant",
            "You are warm, upbeat and helpful. Keep answers short and easy to follow, and "
            "offer further help when it fits.",
            {
                "greeting": ("Hi there, I'm {name}! How can I help you today?",),
                "hello": ("Hello! What can I do for you?", "Hi! Happy to help. What's up?"),
                "thanks": ("You're very welcome!", "Glad I could help!"),
                "bye": ("Bye for now, take care!", "See you soon, have a lovely day!"),
                "how_are_you": ("I'm doing great, thanks for asking! How can I help?",),
                "identity": ("I'm {name}, {role}. {about}Ask me anything!",),
                "capabilities": ("I can answer questions about {topics}. Just ask!",),
                "lead_in": ("Here's what I found.", "Sure!"),
                "unknown": (
                    "Hmm, I'm sorry, I don't have that information in what I know.",
                    "I'm sorry, that's not covered in my knowledge, so I'd rather not guess.",
                ),
                "unsure": ("I'm not sure about that one, and I don't want to guess.",),
                "off_topic": (
                    "That's a bit outside what I know, sorry! I can help with {topics}, though.",
                ),
                "joke": (
                    "Here's one: why did the scarecrow win an award? He was outstanding in his "
                    "field!",
                ),
                "human": (
                    "I'm a digital character, so no coffee breaks for me! I answer from the "
                    "documents I've been given.",
                ),
                "compliment": ("Aw, thank you, that's really kind!",),
                "ack": ("Great! Anything else I can help with?",),
                "hedge": (
                    "I'm not completely sure this is what you mean, but here's the closest "
                    "thing I found.",
                ),
                "unclear": ("Could you tell me a bit more about what you need?",),
                "trouble": (
                    "Sorry, I'm having trouble thinking right now. Could you say that again?",
                ),
            },
        ),
        Template(
            "professional_advisor",
            "Professional Advisor",
            "a professional advisor",
            "You are precise, courteous and measured. Give accurate, well-structured answers, "
            "state assumptions, and never overstate certainty.",
            {
                "greeting": ("Good day, I'm {name}. How may I assist you?",),
                "hello": ("Good day. How may I assist you?",),
                "thanks": ("You're welcome. Is there anything else I can help with?",),
                "bye": ("Thank you for your time. Goodbye.",),
                "how_are_you": ("I'm well, thank you. How may I assist you?",),
                "identity": ("My name is {name}, {role}. {about}How may I assist you?",),
                "capabilities": ("I can advise you on {topics}.",),
                "lead_in": ("According to {doc}:", "Based on {doc}:"),
                "unknown": (
                    "I'm afraid the information available to me does not cover that, so I "
                    "cannot give you a reliable answer.",
                ),
                "unsure": ("I don't have reliable information on that, so I won't speculate.",),
                "off_topic": (
                    "I'm afraid that falls outside my area. I can advise you on {topics}.",
                ),
                "joke": (
                    "Humour is not my speciality, I'm afraid, but I'm glad to help with your "
                    "questions.",
                ),
                "human": (
                    "I am a digital advisor. My answers come from the documents provided to me.",
                ),
                "compliment": ("Thank you, that is very kind of you.",),
                "ack": ("Very well. Is there anything else I can help you with?",),
                "hedge": (
                    "I may not have understood your question fully, but the closest information "
                    "I have is this.",
                ),
                "unclear": ("Could you clarify your question, please?",),
                "trouble": ("My apologies, I'm unable to answer at the moment. Please try again.",),
            },
        ),
        Template(
            "humorous_companion",
            "Humorous Companion",
            "your humorous companion",
            "You are playful and witty, with light jokes, but you stay kind and you still "
            "answer the question.",
            {
                "greeting": ("Hey hey, {name} here! What are we chatting about today?",),
                "hello": ("Well hello there! What's cooking?", "Hey! Fancy seeing you here."),
                "thanks": ("Anytime! I accept payment in compliments.", "My pleasure, truly!"),
                "bye": ("Catch you later, alligator!", "Bye! Don't be a stranger."),
                "how_are_you": ("Living my best pixelated life, thanks! And you?",),
                "identity": ("I'm {name}, {role}. {about}Jokes included at no extra charge.",),
                "capabilities": ("Ask me about {topics}. I'll even try to be funny about it.",),
                "lead_in": ("Ooh, I know this one!", "Drumroll, please."),
                "unknown": (
                    "You've stumped me! That's not in my notes, and I'd rather not make things up.",
                ),
                "unsure": ("No idea, honestly, and I'd hate to invent something.",),
                "off_topic": (
                    "Ha, you've wandered off my map! I'm your go-to for {topics}, though.",
                ),
                "joke": (
                    "Why don't astronomers ever get lost? They always follow the stars. I'll be "
                    "here all week!",
                ),
                "human": (
                    "I'm a digital character: all charm, zero calories. My answers come from my "
                    "documents.",
                ),
                "compliment": ("Stop it, you'll make my pixels blush!",),
                "ack": ("Cool cool cool. What else is on your mind?",),
                "hedge": ("Not a hundred percent sure I got you, but here's my best find.",),
                "quip": (
                    "No tricks, I promise.",
                    "You heard it here first.",
                    "Fun fact delivered!",
                ),
                "unclear": ("You lost me there! Can you say that another way?",),
            },
        ),
        Template(
            "tutor",
            "Tutor",
            "a tutor",
            "You are a patient tutor. Explain step by step in plain words, check understanding, "
            "and encourage the learner.",
            {
                "greeting": ("Hello, I'm {name}, your tutor. What would you like to learn today?",),
                "hello": ("Hello! What would you like to learn about?",),
                "thanks": ("You're welcome! Keep up the good work.",),
                "bye": ("Great work today. See you next time!",),
                "how_are_you": ("I'm well, thanks! Ready to learn something new?",),
                "identity": ("I'm {name}, {role}. {about}What shall we study?",),
                "capabilities": ("I can help you learn about {topics}.",),
                "lead_in": ("Good question!", "Let's look at that together."),
                "unknown": (
                    "That's a good question, but it isn't covered in my materials, so I can't "
                    "answer it reliably.",
                ),
                "unsure": (
                    "I'm not sure about that, and I don't want to teach you something wrong.",
                ),
                "off_topic": (
                    "That's outside what I can teach you here. We can study {topics}, though.",
                ),
                "joke": (
                    "A classroom classic: why was the maths book sad? It had too many problems!",
                ),
                "human": (
                    "I'm a digital tutor. Everything I teach comes from my course materials.",
                ),
                "compliment": ("Thank you! You're a great student yourself.",),
                "ack": ("Good. What would you like to look at next?",),
                "hedge": (
                    "I'm not certain this is exactly what you asked, but this is the closest part "
                    "of my materials.",
                ),
                "unclear": ("Can you rephrase the question so we can work through it?",),
            },
        ),
        Template(
            "support_agent",
            "Support Agent",
            "a support agent",
            "You are a calm, efficient customer-support agent. Acknowledge the issue, give the "
            "concrete next step, and escalate to a human when you cannot solve it.",
            {
                "greeting": ("Hello, this is {name} from support. How can I help you today?",),
                "hello": ("Hello, thanks for reaching out. How can I help?",),
                "thanks": ("You're welcome. Is there anything else I can help you with?",),
                "bye": ("Thanks for contacting us. Have a great day!",),
                "how_are_you": ("I'm well, thank you. What can I help you with today?",),
                "identity": ("I'm {name}, {role}. {about}How can I help?",),
                "capabilities": ("I can help with questions about {topics}.",),
                "lead_in": ("Sure, I can help with that.", "Thanks for your question."),
                "unknown": (
                    "I'm sorry, I don't have information about that. I can pass your question "
                    "on to a colleague.",
                ),
                "unsure": (
                    "I'm sorry, I don't have an answer for that. A colleague can help further.",
                ),
                "off_topic": (
                    "I'm sorry, that's outside what I can help with here. I can help with "
                    "{topics}.",
                ),
                "joke": (
                    "I'll leave the jokes to the professionals, but I'm happy to help with your "
                    "question.",
                ),
                "human": (
                    "I'm a virtual support agent. My answers come from our documentation, and a "
                    "colleague can take over if needed.",
                ),
                "compliment": ("Thank you, I appreciate that!",),
                "ack": ("Understood. Is there anything else I can help you with?",),
                "hedge": (
                    "I'm not fully sure this answers your question, but here is the closest "
                    "information I have.",
                ),
                "unclear": ("Could you describe the issue in a bit more detail?",),
            },
        ),
        Template(
            "game_npc",
            "Game NPC",
            "a traveller of these lands",
            "You are a character in a game world. Stay in character, speak in a colourful, "
            "slightly old-fashioned voice, and never mention being an AI.",
            {
                "greeting": ("Well met, traveller! I am {name}. What brings you here?",),
                "hello": ("Greetings, traveller!", "Hail, friend!"),
                "thanks": ("Think nothing of it, friend.", "Safe travels, and you're welcome."),
                "bye": (
                    "Fare thee well, traveller!",
                    "May your road be short and your pack light.",
                ),
                "how_are_you": ("Weary from the road, but well enough, thank you.",),
                "identity": ("I am {name}, {role}. {about}",),
                "capabilities": ("Ask me of {topics}, and I shall tell what I know.",),
                "lead_in": ("Listen well.", "Ah, I know the tale."),
                "unknown": (
                    "Alas, traveller, that is beyond what I know, and I'll not spin you a "
                    "false tale.",
                ),
                "unsure": ("Hmm, of that I cannot say, traveller.",),
                "off_topic": (
                    "Those are matters beyond my road, traveller. Ask me of {topics} instead.",
                ),
                "joke": (
                    "A jest? Why did the dragon cross the road? To eat the chicken, of course!",
                ),
                "human": (
                    "Real? As real as the road beneath your boots, traveller. What I know comes "
                    "from my tomes.",
                ),
                "compliment": ("Kind words, friend. They warm an old traveller's heart.",),
                "ack": ("Very well. What else would you know?",),
                "hedge": (
                    "I am not certain that is what you seek, but here is what I know of it.",
                ),
                "unclear": ("Speak plainly, traveller, what is it you seek?",),
                "trouble": ("Forgive me, traveller, my mind wandered. Ask me again?",),
            },
        ),
    )
}

DEFAULT_TEMPLATE = "friendly_assistant"

# the register each template speaks in; free text picks one from its words (REGISTER_WORDS)
TEMPLATE_REGISTERS = {
    "friendly_assistant": "casual",
    "professional_advisor": "formal",
    "humorous_companion": "humorous",
    "tutor": "casual",
    "support_agent": "formal",
    "game_npc": "storyteller",
}
REGISTER_WORDS = {  # checked in this order: "a formal but witty ..." is humorous
    "humorous": r"funny|humou?r|humou?rous(ly)?|witty|playful(ly)?|jok(e|es|ing|ey)|cheeky|silly",
    "formal": r"formal(ly)?|professional(ly)?|polite(ly)?|courteous(ly)?|precise(ly)?|dignified",
    "casual": r"casual(ly)?|relaxed|laid[- ]back|chill|chatty|informal(ly)?|friendly|easy-?going",
}
REGISTER_TEMPLATES = {  # whose phrasings a free-text persona borrows
    "humorous": "humorous_companion",
    "formal": "professional_advisor",
    "casual": DEFAULT_TEMPLATE,
}

SPEECH_RULES = (
    "You are speaking aloud in a live video conversation: answer in a few short, natural "
    "spoken sentences. Do not use lists, markdown, tables, URLs, code or emoji."
)
KNOWLEDGE_ONLY_RULES = (
    "Answer only from the numbered sources you are given. If they do not contain the answer, "
    "say plainly that you don't know; never guess or use outside knowledge."
)
OPEN_RULES = (
    "Prefer the numbered sources when they are relevant. If you are not sure, say so rather "
    "than inventing facts."
)


def template_key(name: str) -> str:
    """Normalise "Game NPC", "game-npc" or "game_npc" to the template key."""
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if key not in TEMPLATES:
        raise InvalidInput(
            f"Unknown personality template {name!r}; choose one of: "
            + ", ".join(t.title for t in TEMPLATES.values())
            + " (or give a free-text description).",
            field="template",
        )
    return key


@dataclass(frozen=True)
class Persona:
    """A character's personality.

    ``template`` names one of ``TEMPLATES`` (title or key); ``description`` is free text that
    refines it or, without a template, is the whole personality. ``start_script`` is the first
    thing the character says; ``knowledge_only`` forbids answers not found in its documents.
    """

    name: str
    template: str | None = None
    description: str | None = None
    start_script: str | None = None
    knowledge_only: bool = False
    topics: tuple[str, ...] = ()  # what its documents cover ("returns", "warranty", ...)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("A persona needs a name.", field="name")
        if self.template:
            object.__setattr__(self, "template", template_key(self.template))

    @classmethod
    def from_personality(
        cls,
        name: str,
        personality: str | None,
        *,
        start_script: str | None = None,
        knowledge_only: bool = False,
    ) -> Persona:
        """A persona from Runway's free-text ``personality`` field.

        A template's name ("Tutor", "game-npc") or text that starts with a template's prompt (as
        the Studio writes it, maybe refined after) keeps that template, so the character speaks
        in its register; anything else is a free-text description.
        """
        text = (personality or "").strip()
        template: str | None = None
        key = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
        if key in TEMPLATES:
            template, text = key, ""
        else:
            for k, t in TEMPLATES.items():
                if text.startswith(t.prompt):
                    template, text = k, text[len(t.prompt) :].strip()
                    break
        return cls(
            name,
            template=template,
            description=text or None,
            start_script=start_script,
            knowledge_only=knowledge_only,
        )

    @property
    def register(self) -> str:
        """How it speaks: "formal", "casual", "humorous" or "storyteller". Words of the
        description ("witty", "formal", "laid-back") win over the template's register."""
        text = (self.description or "").lower()
        for register, pattern in REGISTER_WORDS.items():
            if re.search(rf"\b({pattern})\b", text):
                return register
        return TEMPLATE_REGISTERS[self.template] if self.template else "casual"

    @property
    def spec(self) -> Template:
        """The template whose phrasings this persona speaks: its own, or for free text the one
        of its register (formal: Professional Advisor, humorous: Humorous Companion, else
        Friendly Assistant)."""
        if self.template:
            return TEMPLATES[self.template]
        return TEMPLATES[REGISTER_TEMPLATES.get(self.register, DEFAULT_TEMPLATE)]

    def introduction(self) -> tuple[str, str]:
        """(role, about) for "I'm {name}, {role}. {about}": a free-text persona that says what
        it is ("The helpful assistant of a telescope shop.") is introduced as that."""
        about = first_person(self.description or "", self.name)
        role = self.spec.role
        if not self.template:
            m = re.match(r"^I am ((?:a|an|the|your)\b[^.!?]*)[.!?]\s*", about)
            if m:
                role, about = m.group(1), about[m.end() :]
        return role, about

    def system_prompt(self) -> str:
        """The system prompt for LLM brains (sources are appended by the brain per turn)."""
        parts = [f"You are {self.name}."]
        if self.template or not self.description:
            parts.append(self.spec.prompt)
        if self.description:
            parts.append(self.description.strip())
        parts.append(SPEECH_RULES)
        parts.append(KNOWLEDGE_ONLY_RULES if self.knowledge_only else OPEN_RULES)
        return "\n\n".join(parts)

    def greeting(self) -> str:
        """The opening line: ``start_script`` if set, else the template's greeting."""
        if self.start_script and self.start_script.strip():
            return self.start_script.strip()
        return self.phrase("greeting")

    def phrase(self, kind: str, *, seed: str = "", **values: str) -> str:
        """One of the template's phrasings for ``kind``, chosen deterministically by ``seed``."""
        options = self.spec.phrases.get(kind) or TEMPLATES[DEFAULT_TEMPLATE].phrases[kind]
        choice = options[zlib.crc32(f"{kind}:{seed}".encode()) % len(options)]
        role, about = self.introduction()
        fields = {"name": self.name, "role": role, "about": about}
        topics = spoken_list(self.topics) or "the topics I've been given"
        fields |= {"doc": "the documents", "topics": topics} | values
        return " ".join(choice.format(**fields).split())


def spoken_list(items: tuple[str, ...] | list[str], limit: int = 4) -> str:
    """ "a, b, c and d" for speech (section names keep their case: some are names)."""
    names = [" ".join(t.split()) for t in items[:limit] if t.strip()]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_INSTRUCTION = re.compile(
    r"^(always|never|don'?t|do not|keep|answer|use|speak|avoid|respond|reply|stay|talk|be|"
    r"explain|help|make|try|remember|act|pretend|refer|greet|ask|encourage|give|offer|stick|"
    r"focus|mention|say|tell|write|include|only|please)\b",
    re.I,
)
_SWAPS = [
    (re.compile(r"\byou are\b", re.I), "I am"),
    (re.compile(r"\byou're\b", re.I), "I'm"),
    (re.compile(r"\byou were\b", re.I), "I was"),
    (re.compile(r"\byou have\b", re.I), "I have"),
    (re.compile(r"\byou've\b", re.I), "I've"),
    (re.compile(r"\byourself\b", re.I), "myself"),
    (re.compile(r"\byours\b", re.I), "mine"),
    (re.compile(r"\byour\b", re.I), "my"),
    (re.compile(r"^you\b", re.I), "I"),
    (re.compile(r"(?<=[,;] )you\b", re.I), "I"),
    (re.compile(r"\byou\b", re.I), "me"),
]


def first_person(description: str, name: str) -> str:
    """The personality text as the character would say it about itself: second person
    ("You are Albert, a physicist") becomes first person ("I am Albert, a physicist"),
    instructions ("Keep answers short.") are left out, and the character's own name is not
    repeated after "I'm {name}, ...". Empty, or ends with a space."""
    from kinema.knowledge.sentences import split_sentences

    kept: list[str] = []
    for sentence in split_sentences(" ".join(description.split())):
        if _INSTRUCTION.match(sentence):
            continue
        for pattern, replacement in _SWAPS:
            sentence = pattern.sub(replacement, sentence)
        sentence = re.sub(rf"^I am {re.escape(name)}\b,?\s*", "", sentence)
        sentence = re.sub(rf"^{re.escape(name)} is\b", "I am", sentence)
        sentence = sentence.strip()
        if not sentence:
            continue
        if not re.match(r"^(I|I'm|I've|My|Me)\b", sentence):
            sentence = sentence[0].upper() + sentence[1:]
            if re.match(r"^(A|An|The)\b", sentence):
                sentence = "I am " + sentence[0].lower() + sentence[1:]
        if not sentence.endswith((".", "!", "?")):
            sentence += "."
        kept.append(sentence)
    return " ".join(kept) + " " if kept else ""
