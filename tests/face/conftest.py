"""Shared fixtures: the five test portraits, their analyses and rigs (built once per session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data

from kinema.face.analyze import Analysis, ManualPoints, analyze
from kinema.face.rig import Rig
from kinema.media.image import load_image

DATA = Path(__file__).resolve().parents[1] / "data"
NAMES = ("einstein", "mona_lisa", "cartoon", "dog", "astronaut")
FILES = {
    "einstein": "einstein_photo.jpg",
    "mona_lisa": "mona_lisa_painting.jpg",
    "cartoon": "cartoon_boy_3d.jpg",
    "dog": "shiba_dog.jpg",
}


def portrait(name: str) -> np.ndarray:
    if name == "astronaut":
        return skimage.data.astronaut()
    return load_image(DATA / FILES[name])


def dog_points() -> ManualPoints:
    return ManualPoints.from_json(DATA / "shiba_dog.points.json")


@pytest.fixture(scope="session")
def analyses() -> dict[str, Analysis]:
    return {n: analyze(portrait(n), dog_points() if n == "dog" else None) for n in NAMES}


@pytest.fixture(scope="session")
def rigs(analyses: dict[str, Analysis]) -> dict[str, Rig]:
    return {n: Rig.build(None, a) for n, a in analyses.items()}
