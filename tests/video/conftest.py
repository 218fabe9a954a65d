"""Small inputs for the compositor tests: skimage's bundled images, no downloads."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def location() -> np.ndarray:
    return data.coffee()  # any photograph works as a location plate


@pytest.fixture(scope="session")
def style_image() -> np.ndarray:
    """A strongly tinted image: a teal-and-orange sunset gradient with texture."""
    h, w = 240, 320
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top, bottom = np.float32([20, 90, 120]), np.float32([250, 140, 40])
    img = top * (1 - y) + bottom * y + np.zeros((1, w, 1), np.float32)
    rng = np.random.default_rng(0)
    img += rng.normal(0, 12, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
