"""Mapping requests onto the model grid, and the errors raised before any model loads.

These run without the extra: the engine module must import (and fail clearly) without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kinema.config import Settings
from kinema.errors import BackendUnavailable, InvalidInput
from kinema.video import GenerationRequest
from kinema.video.engines.diffusers_engine import (
    FAMILIES,
    DiffusersEngine,
    fit_frame,
    frame_indices,
    model_frames,
    model_size,
)

LTX, WAN = FAMILIES["ltx"], FAMILIES["wan"]


def test_model_size_keeps_aspect_on_the_grid_within_budget() -> None:
    assert model_size(1280, 720, LTX) == (832, 480)  # 16:9 within ~768x512 pixels
    assert model_size(1280, 720, WAN) == (848, 480)
    assert model_size(32, 32, LTX) == (32, 32)
    assert model_size(48, 32, LTX) == (64, 32)  # rounded to the grid, cropped back later
    assert model_size(10, 10, LTX) == (32, 32)  # never below one grid cell
    for w, h in [(1280, 720), (720, 1280), (960, 960), (1584, 672)]:
        for fam in (LTX, WAN):
            mw, mh = model_size(w, h, fam)
            assert mw % fam.size_multiple == 0 and mh % fam.size_multiple == 0
            assert mw * mh <= fam.max_area * 1.1
            assert abs(mw / mh - w / h) / (w / h) < 0.1


def test_model_frames_are_valid_counts_covering_the_output() -> None:
    assert model_frames(1, LTX) == 1
    assert model_frames(9, LTX) == 9
    assert model_frames(12, LTX) == 17
    assert model_frames(120, LTX) == 121  # 5 s at 24 fps
    assert model_frames(10_000, LTX) == 257  # capped: longest LTX clip
    assert model_frames(80, WAN) == 81
    for n in range(1, 300):
        for fam in (LTX, WAN):
            m = model_frames(n, fam)
            assert (m - 1) % fam.frame_step == 0 and m <= fam.max_frames
            assert m >= n or m == (fam.max_frames - 1) // fam.frame_step * fam.frame_step + 1


def test_wan_frames_follow_time_and_longer_clips_are_refused() -> None:
    # Wan makes 16 fps whatever is asked: 5 s at 24 fps is 80 model frames (81), shown by time
    assert model_frames(120, WAN, 5.0) == 81
    assert model_frames(12, WAN, 0.5) == 9
    idx = frame_indices(120, 81, 24, 16)
    assert idx[0] == 0 and idx[-1] == 79 and idx[24] == 16 and idx[60] == 40  # 1 s = 16 frames
    # 10 s would need 160 frames: refused by name, never 81 frames stretched (3x slow motion)
    with pytest.raises(InvalidInput, match="slow motion") as err:
        model_frames(240, WAN, 10.0)
    assert err.value.field == "duration" and "at most 5 s" in str(err.value)
    # LTX is told the frame rate, so it may make fewer frames for a long clip, down to 12/s
    assert model_frames(10_000, LTX, 20.0) == 257
    with pytest.raises(InvalidInput, match="duration"):
        model_frames(10_000, LTX, 40.0)


def test_frame_indices_stretch_evenly_from_first_to_last() -> None:
    assert frame_indices(1, 17) == [0]
    assert frame_indices(9, 9) == list(range(9))
    idx = frame_indices(12, 17)
    assert idx[0] == 0 and idx[-1] == 16 and idx == sorted(idx) and len(set(idx)) == 12
    assert frame_indices(5, 3) == [0, 0, 1, 2, 2]  # fewer model frames: repeats


def test_fit_frame_covers_and_crops_the_centre() -> None:
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, 16:48] = 255  # white centre half, black sides
    out = fit_frame(img, 32, 32)
    assert out.shape == (32, 32, 3)
    assert out.min() == 255  # the centre square, without the black sides
    assert fit_frame(img, 128, 48).shape == (48, 128, 3)


def _settings(path: Path | str, **kw: object) -> Settings:
    return Settings(diffusers_model_path=str(path), diffusers_device="cpu", **kw)


def test_missing_model_path_names_the_setting(tmp_path: Path) -> None:
    req = GenerationRequest(kind="video", prompt="a cat", width=32, height=32, preset="ltx")
    with pytest.raises(BackendUnavailable, match="KINEMA_DIFFUSERS_MODEL_PATH"):
        DiffusersEngine(_settings("")).generate(req, tmp_path)
    with pytest.raises(BackendUnavailable, match="KINEMA_DIFFUSERS_MODEL_PATH.*model_index.json"):
        DiffusersEngine(_settings(tmp_path / "nowhere")).generate(req, tmp_path)
    assert not list(tmp_path.glob("*.mp4"))


def test_unknown_preset_and_edits_are_refused(tmp_path: Path) -> None:
    engine = DiffusersEngine(_settings(tmp_path))
    with pytest.raises(InvalidInput, match="ltx, wan"):
        engine.generate(GenerationRequest(kind="video", preset="fast"), tmp_path)
    with pytest.raises(InvalidInput, match="edit"):
        engine.generate(GenerationRequest(kind="video", preset="ltx", video=tmp_path), tmp_path)


def test_a_model_of_another_family_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text('{"_class_name": "WanPipeline"}')
    req = GenerationRequest(kind="video", preset="ltx", width=32, height=32)
    with pytest.raises(BackendUnavailable, match="WanPipeline.*'ltx'"):
        DiffusersEngine(_settings(tmp_path)).generate(req, tmp_path / "out")


def test_importing_the_engine_does_not_import_torch() -> None:
    code = (
        "import sys, kinema.video, kinema.video.engines.diffusers_engine\n"
        "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_submit_refuses_a_wan_duration_it_would_slow_down() -> None:
    from kinema.platform.generation import precheck

    wan = {"kind": "video", "engine": "diffusers", "preset": "wan", "fps": 24, "prompt": "x"}
    precheck({**wan, "duration": 5})
    with pytest.raises(InvalidInput, match="at most 5 s"):
        precheck({**wan, "duration": 10})
