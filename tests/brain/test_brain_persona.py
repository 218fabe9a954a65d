from __future__ import annotations

import pytest

from kinema.brain.persona import TEMPLATES, Persona, template_key
from kinema.errors import InvalidInput

TITLES = [
    "Friendly Assistant",
    "Professional Advisor",
    "Humorous Companion",
    "Tutor",
    "Support Agent",
    "Game NPC",
]
KINDS = ["greeting", "hello", "thanks", "bye", "how_are_you", "identity", "capabilities",
         "lead_in", "unknown", "unsure", "unclear"]  # fmt: skip


def test_six_templates_each_with_its_own_register() -> None:
    assert [t.title for t in TEMPLATES.values()] == TITLES
    for kind in KINDS:
        phrasings = [Persona("Ada", title).phrase(kind) for title in TITLES]
        assert all(phrasings), kind
        assert len(set(phrasings)) == len(TITLES), f"{kind} phrasings are not distinct"


@pytest.mark.parametrize("name", ["Game NPC", "game-npc", "game_npc", "  GAME npc "])
def test_template_names_are_normalised(name: str) -> None:
    assert template_key(name) == "game_npc"
    assert Persona("Grom", name).template == "game_npc"


def test_unknown_template_lists_the_choices() -> None:
    with pytest.raises(InvalidInput, match="Friendly Assistant, Professional Advisor") as err:
        Persona("Ada", "Pirate")
    assert err.value.field == "template"
    with pytest.raises(InvalidInput, match="name"):
        Persona("  ")


def test_system_prompt_from_template_description_and_switch() -> None:
    tutor = Persona("Ada", "Tutor", "Teaches chemistry to teenagers", knowledge_only=True)
    prompt = tutor.system_prompt()
    assert prompt.startswith("You are Ada.")
    assert TEMPLATES["tutor"].prompt in prompt and "Teaches chemistry to teenagers" in prompt
    assert "never guess" in prompt and "markdown" in prompt
    open_prompt = Persona("Ada", "Tutor").system_prompt()
    assert "never guess" not in open_prompt and "not sure" in open_prompt


def test_free_text_persona_is_the_whole_personality() -> None:
    p = Persona("Bob", description="A grumpy pirate who secretly loves maps.")
    prompt = p.system_prompt()
    assert "grumpy pirate" in prompt
    assert all(t.prompt not in prompt for t in TEMPLATES.values())
    assert "grumpy pirate" in p.phrase("identity")


def test_greeting_uses_start_script_or_the_template() -> None:
    assert Persona("Ada", start_script="  Welcome to Acme!  ").greeting() == "Welcome to Acme!"
    assert "Grom" in Persona("Grom", "Game NPC").greeting()
    assert Persona("Ada", "Tutor").greeting() != Persona("Ada", "Support Agent").greeting()


def test_phrase_choice_is_deterministic() -> None:
    p = Persona("Ada", "Humorous Companion")
    assert p.phrase("hello", seed="hi") == p.phrase("hello", seed="hi")
    assert len({p.phrase("hello", seed=str(i)) for i in range(20)}) > 1


def test_from_personality_keeps_a_template_named_or_written_by_the_studio():
    from kinema.brain.persona import TEMPLATES, Persona

    named = Persona.from_personality("Albert", "game-npc")
    assert (named.template, named.description) == ("game_npc", None)
    refined = Persona.from_personality("Albert", TEMPLATES["tutor"].prompt + " Loves physics.")
    assert (refined.template, refined.description) == ("tutor", "Loves physics.")
    free = Persona.from_personality("Albert", "A grumpy pirate who loves maps.")
    assert (free.template, free.description) == (None, "A grumpy pirate who loves maps.")
    assert "pirate" in free.system_prompt()


@pytest.mark.parametrize(
    "description",
    [
        "You are Albert, a physicist from Bern. You love explaining relativity to your students.",
        "you're a grumpy lighthouse keeper; you have seen many storms. Never mention being an AI.",
        "Your name is Albert. You teach at the university of Bern.",
    ],
)
def test_identity_never_echoes_the_second_person_prompt(description: str) -> None:
    persona = Persona("Albert", "Tutor", description)
    intro = persona.phrase("identity")
    assert intro.startswith("I'm Albert")
    assert "you are" not in intro.lower() and "you're" not in intro.lower()
    assert " your " not in f" {intro.lower()} " and "never mention" not in intro.lower()


def test_first_person_keeps_the_facts() -> None:
    from kinema.brain.persona import first_person

    text = first_person("You are Albert, a physicist from Bern. Keep answers short.", "Albert")
    assert text == "I am a physicist from Bern. "
    assert first_person("Albert is a retired captain.", "Albert") == "I am a retired captain. "
    assert first_person("", "Albert") == ""
