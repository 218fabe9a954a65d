from kinema.video.plan import parse_prompt


def test_camera_light_weather_and_action_are_understood() -> None:
    plan = parse_prompt("Slow push in on a woman who walks left, golden hour, light rain and fog")
    assert plan.camera == ["push_in"]
    assert plan.speed < 1.0
    assert plan.light == "golden_hour"
    assert plan.weather == ["rain", "fog"]
    assert plan.action == "walk_left"
    assert ("person", None) in plan.objects
    for phrase in ("push in", "walks left", "golden hour", "rain", "fog", "slow"):
        assert phrase in plan.understood
    assert "light" in plan.ignored  # a word outside the vocabulary is reported, not dropped


def test_shot_dof_and_synonyms() -> None:
    plan = parse_prompt("close-up, handheld, bokeh, cyberpunk street, snowing, orbit")
    assert plan.shot == "close"
    assert set(plan.camera) == {"handheld", "orbit"}
    assert plan.dof == "shallow"
    assert plan.light == "neon"
    assert plan.weather == ["snow"]
    assert ("road", None) in plan.objects


def test_colour_binds_to_the_next_noun_and_unknown_words_are_ignored() -> None:
    plan = parse_prompt("a red car on a road at night, neon, flamboyant gesticulation")
    assert ("car", "red") in plan.objects
    assert "red car" in plan.understood
    assert plan.light == "neon"  # neon implies night and wins over it
    assert "at night" in plan.understood
    assert plan.ignored == ["flamboyant", "gesticulation"]


def test_tags_bind_only_to_known_references() -> None:
    plan = parse_prompt("@hero standing in @city with @ghost", {"hero", "city"})
    assert plan.tags == ["hero", "city"]
    assert "@ghost" in plan.ignored
    assert "@hero" in plan.understood and "@city" in plan.understood


def test_empty_prompt_is_an_empty_plan() -> None:
    plan = parse_prompt("")
    assert plan.camera == [] and plan.understood == [] and plan.ignored == []
    assert plan.to_dict()["objects"] == []
