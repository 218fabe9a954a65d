"""The engine on a tiny random Wan (text-to-video) saved to disk: Wan's 16-pixel / 4k+1 grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.media.video import probe
from kinema.video import GenerationRequest
from kinema.video.engines.diffusers_engine import DiffusersEngine

pytest.importorskip("torch", reason="the diffusers extra is not installed")
pytest.importorskip("diffusers", reason="the diffusers extra is not installed")


@pytest.fixture(scope="module")
def engine(wan_dir: Path) -> DiffusersEngine:
    settings = Settings(
        diffusers_model_path=str(wan_dir), diffusers_device="cpu", diffusers_steps=2
    )
    return DiffusersEngine(settings)


def test_wan_text_to_video_on_its_grid(engine: DiffusersEngine, tmp_path: Path) -> None:
    seen: list[float] = []
    req = GenerationRequest(
        kind="video",
        prompt="a dog walks at dawn",
        width=40,
        height=24,
        duration=0.5,
        fps=12,
        seed=3,
        preset="wan",
    )
    result = engine.generate(req, tmp_path, progress=seen.append)
    info = probe(result.files[0])
    assert (info.width, info.height, info.fps, info.frames) == (40, 24, 12.0, 6)
    assert result.plan["pipeline"] == "WanPipeline"
    assert result.plan["model_size"] == [48, 32] and result.plan["model_frames"] == 9
    assert seen[-1] == pytest.approx(1.0) and seen == sorted(seen)


def test_a_text_only_wan_refuses_a_first_frame(engine: DiffusersEngine, tmp_path: Path) -> None:
    req = GenerationRequest(
        kind="video",
        prompt="a dog",
        width=32,
        height=32,
        duration=0.5,
        fps=8,
        preset="wan",
        first_frame=np.zeros((32, 32, 3), np.uint8),
    )
    with pytest.raises(InvalidInput, match="text-to-video only"):
        engine.generate(req, tmp_path)


def test_wan_ti2v_does_both_on_its_wider_grid(wan_ti2v_dir: Path, tmp_path: Path) -> None:
    engine = DiffusersEngine(
        Settings(diffusers_model_path=str(wan_ti2v_dir), diffusers_device="cpu", diffusers_steps=2)
    )
    from skimage.data import astronaut

    base = dict(
        kind="video", prompt="a cat", width=40, height=24, duration=0.75, fps=12, preset="wan"
    )
    i2v = engine.generate(GenerationRequest(**base, first_frame=astronaut()), tmp_path / "i")
    t2v = engine.generate(GenerationRequest(**base), tmp_path / "t")
    assert i2v.plan["pipeline"] == "WanImageToVideoPipeline"
    assert t2v.plan["pipeline"] == "WanPipeline"
    for result in (i2v, t2v):
        assert result.plan["model_size"] == [32, 32]  # 16x VAE x 2x2 patches: a 32 grid
        info = probe(result.files[0])
        assert (info.width, info.height, info.frames) == (40, 24, 9)


def test_wan_maps_its_16_fps_by_time_and_refuses_a_slow_motion_duration(
    engine: DiffusersEngine, tmp_path: Path
) -> None:
    from kinema.media.video import read_frames

    base = dict(kind="video", prompt="a dog", width=32, height=32, fps=24, preset="wan")
    res = engine.generate(GenerationRequest(**base, duration=1.0), tmp_path / "ok")
    assert res.plan["model_frames"] == 17 and res.plan["model_fps"] == 16  # 1 s of Wan
    frames, _ = read_frames(res.files[0])
    assert len(frames) == 24
    # 24 output frames over 16 model frames by time: frames 1 and 2 both show model frame 1
    same = float(np.abs(frames[1].astype(float) - frames[2].astype(float)).mean())
    moved = float(np.abs(frames[0].astype(float) - frames[3].astype(float)).mean())
    assert same < 0.5 * moved
    with pytest.raises(InvalidInput, match="slow motion"):
        engine.generate(GenerationRequest(**base, duration=6.0), tmp_path / "long")
    assert not (tmp_path / "long" / "video.mp4").exists()
