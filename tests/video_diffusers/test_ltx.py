"""The engine's real loading and inference code on a tiny random LTX-Video saved to disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinema.config import Settings
from kinema.errors import Cancelled
from kinema.media.video import probe, read_frames
from kinema.video import GenerationRequest
from kinema.video.engines.diffusers_engine import DiffusersEngine

pytest.importorskip("torch", reason="the diffusers extra is not installed")
pytest.importorskip("diffusers", reason="the diffusers extra is not installed")


@pytest.fixture(scope="module")
def engine(ltx_dir: Path) -> DiffusersEngine:
    settings = Settings(
        diffusers_model_path=str(ltx_dir), diffusers_device="cpu", diffusers_steps=2
    )
    return DiffusersEngine(settings)


def _req(**kw: object) -> GenerationRequest:
    base: dict = dict(
        kind="video",
        prompt="a red fox runs on the beach",
        width=48,
        height=32,
        duration=1.2,
        fps=10,
        seed=7,
        preset="ltx",
    )
    return GenerationRequest(**{**base, **kw})


def test_text_to_video_has_the_requested_size_fps_and_frames(
    engine: DiffusersEngine, tmp_path: Path
) -> None:
    seen: list[float] = []
    result = engine.generate(_req(), tmp_path, progress=seen.append)
    info = probe(result.files[0])
    # 12 frames asked; the model makes 17 (8k+1) at 64x32 (32-grid) and they are mapped back
    assert (info.width, info.height, info.fps, info.frames) == (48, 32, 10.0, 12)
    assert result.plan["model_frames"] == 17 and result.plan["model_size"] == [64, 32]
    assert result.plan["pipeline"] == "LTXPipeline" and result.plan["steps"] == 2
    assert result.poster is not None and result.poster.stat().st_size > 0
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    assert any(p <= 0.9 for p in seen[:2])  # denoising steps report before encoding
    frames, _ = read_frames(result.files[0])
    assert np.std(frames[0]) > 1.0  # a decoded picture, not a flat fill


def test_same_seed_same_frames_other_seed_other_frames(
    engine: DiffusersEngine, tmp_path: Path
) -> None:
    a = read_frames(engine.generate(_req(), tmp_path / "a").files[0])[0]
    b = read_frames(engine.generate(_req(), tmp_path / "b").files[0])[0]
    c = read_frames(engine.generate(_req(seed=8), tmp_path / "c").files[0])[0]
    assert np.array_equal(np.stack(a), np.stack(b))
    assert not np.array_equal(np.stack(a), np.stack(c))


def test_cancel_during_denoising_raises_and_writes_nothing(
    engine: DiffusersEngine, tmp_path: Path
) -> None:
    seen: list[float] = []
    with pytest.raises(Cancelled):
        engine.generate(_req(), tmp_path, progress=seen.append, should_cancel=lambda: bool(seen))
    assert seen and max(seen) <= 0.9  # stopped inside the step loop
    assert not (tmp_path / "video.mp4").exists()
    with pytest.raises(Cancelled):
        engine.generate(_req(), tmp_path, should_cancel=lambda: True)
    late: list[float] = []  # cancelled while frames are being encoded
    with pytest.raises(Cancelled):
        engine.generate(_req(), tmp_path, late.append, lambda: bool(late) and late[-1] > 0.9)
    assert not (tmp_path / "video.mp4").exists() and not (tmp_path / "poster.jpg").exists()


def test_first_frame_uses_image_to_video_and_an_image_request_writes_a_png(
    engine: DiffusersEngine, tmp_path: Path
) -> None:
    from skimage.data import astronaut

    req = _req(first_frame=astronaut(), width=32, height=32, duration=0.9)
    result = engine.generate(req, tmp_path / "i2v")
    assert result.plan["pipeline"] == "LTXImageToVideoPipeline"
    info = probe(result.files[0])
    assert (info.width, info.height, info.frames) == (32, 32, 9)
    t2v = engine.generate(_req(width=32, height=32, duration=0.9), tmp_path / "t2v")
    a, b = read_frames(result.files[0])[0], read_frames(t2v.files[0])[0]
    assert not np.array_equal(a[0], b[0])  # the image conditions the clip

    still = engine.generate(_req(kind="image", width=40, height=24), tmp_path / "still")
    from kinema.media.image import load_image

    assert still.files[0].name == "image.png" and still.plan["model_frames"] == 1
    assert load_image(still.files[0].read_bytes()).shape == (24, 40, 3)


def test_through_kinema_video_generate_with_settings_from_the_environment(
    ltx_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Settings.models`` spec → engine registry → settings read from ``KINEMA_DIFFUSERS_*``."""
    from kinema import video
    from kinema.config import get_settings
    from kinema.video import engines

    monkeypatch.setenv("KINEMA_DIFFUSERS_MODEL_PATH", str(ltx_dir))
    monkeypatch.setenv("KINEMA_DIFFUSERS_DEVICE", "cpu")
    monkeypatch.setenv("KINEMA_DIFFUSERS_STEPS", "2")
    monkeypatch.setenv("KINEMA_MODELS", '{"gen4.5": "diffusers:ltx"}')
    get_settings.cache_clear()
    try:
        assert "diffusers" in engines.ENGINES  # registered by name, lazily
        monkeypatch.delitem(engines._instances, "diffusers", raising=False)
        engine, preset = video.parse_engine(get_settings().models["gen4.5"])
        req = _req(engine=engine, preset=preset, width=32, height=32, duration=0.9)
        result = video.generate(req, tmp_path)
        assert result.plan["engine"] == "diffusers" and result.plan["steps"] == 2
        assert probe(result.files[0]).frames == 9
    finally:
        engines._instances.pop("diffusers", None)
        monkeypatch.undo()
        get_settings.cache_clear()
