"""Honest refusals: a prompt naming things the compositor cannot draw, with nothing to show
them, is refused (a 400 at submit, an error in the engine and the CLI) naming the words, never
rendered as an unrelated default landscape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinema.config import Settings
from kinema.platform import db
from kinema.video import GenerationRequest, Reference, generate
from kinema.video.plan import UndrawablePrompt, check_drawable, parse_prompt


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", workers=1)  # type: ignore[arg-type]
    db.migrate(s)
    return s


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ("office building lobby", ["office building lobby"]),
        ("Luxury watch on marble surface", ["luxury watch", "marble surface"]),
        ("a woman entering an office lobby, slow push in", ["office lobby"]),
    ],
)
def test_unknown_nouns_are_refused_by_name(prompt: str, words: list[str]) -> None:
    with pytest.raises(UndrawablePrompt) as err:
        check_drawable(prompt)
    assert err.value.phrases == words and err.value.field == "promptText"
    for w in words:
        assert f"'{w}'" in str(err.value)
    assert "first frame" in str(err.value) and "reference" in str(err.value)


def test_modifiers_verbs_and_known_nouns_are_not_refused() -> None:
    for prompt in (
        "a woman walking a city street at golden hour",
        "a beautiful cinematic shot of a red car on a road at night, neon",
        "a woman on a rooftop at night in neon",
        "a lighthouse at dusk, waves",
        "slow push in, rain",
    ):
        check_drawable(prompt)
    plan = parse_prompt("a woman walking a city street at golden hour")
    assert "walking" in plan.ignored and plan.unknown_things == []


def test_an_image_or_a_reference_can_show_what_the_words_cannot() -> None:
    check_drawable("office building lobby", first_frame=True)
    lobby = [("hero", "character"), (None, "location")]
    check_drawable("@hero in an office lobby", references=lobby)
    watch = [(None, "object"), (None, "location")]
    check_drawable("Luxury watch on marble surface", references=watch)
    with pytest.raises(UndrawablePrompt) as err:  # one untagged object shows one thing only
        check_drawable("Luxury watch on marble surface", references=[(None, "object")])
    assert err.value.phrases == ["marble surface"]


def test_the_engine_fails_instead_of_drawing_a_landscape(tmp_path: Path) -> None:
    req = GenerationRequest(kind="image", prompt="office building lobby", width=64, height=36)
    with pytest.raises(UndrawablePrompt, match="office building lobby"):
        generate(req, tmp_path)
    assert not list(tmp_path.glob("*.png"))
    # with a location plate showing the lobby it renders, and reports the words honestly
    plate = np.full((90, 160, 3), 120, np.uint8)
    req.references = [Reference(plate, None, "location")]
    res = generate(req, tmp_path)
    assert res.files[0].exists() and "lobby" in res.ignored


def test_submit_refuses_with_a_400_naming_the_words(client, headers) -> None:  # noqa: ANN001
    before = client.get("/v1/organization", headers=headers).json()["creditBalance"]
    for path, body in (
        ("/v1/text_to_video", {"model": "gen4.5", "ratio": "1280:720", "duration": 2}),
        ("/v1/text_to_image", {"model": "gen4_image", "ratio": "1280:720"}),
    ):
        r = client.post(
            path, headers=headers, json={**body, "promptText": "Luxury watch on marble surface"}
        )
        assert r.status_code == 400, r.text
        msg = r.json()["error"]
        assert "'luxury watch'" in msg and "'marble surface'" in msg and "reference" in msg
    r = client.post(
        "/v1/text_to_video",
        headers=headers,
        json={"model": "gen4.5", "ratio": "1280:720", "duration": 2, "promptText": "a city"},
    )
    assert r.status_code == 200, r.text
    after = client.get("/v1/organization", headers=headers).json()["creditBalance"]
    assert before - after == r.json()["estimatedCost"]["credits"]  # refusals cost nothing
