"""Tiny models are built once per session into a tmp folder (the engine loads them from disk)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ltx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="the diffusers extra is not installed")
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    from .tiny_models import save_tiny_ltx

    return save_tiny_ltx(tmp_path_factory.mktemp("tiny_ltx"))


@pytest.fixture(scope="session")
def wan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="the diffusers extra is not installed")
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    from .tiny_models import save_tiny_wan

    return save_tiny_wan(tmp_path_factory.mktemp("tiny_wan"))


@pytest.fixture(scope="session")
def wan_ti2v_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="the diffusers extra is not installed")
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    from .tiny_models import save_tiny_wan

    return save_tiny_wan(tmp_path_factory.mktemp("tiny_wan_ti2v"), ti2v=True)
