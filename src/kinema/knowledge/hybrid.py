"""Hybrid retrieval: word matching fused with meaning, the parts both index backends share.

Each passage is embedded once, at indexing, in batches (``embed_chunks``): its heading and each
of its sentences get a vector (one MiniLM pass over short texts), the passage's vector is their
normalised mean, and both are stored with it. The sentence vectors let the brain pick the
sentence that answers a question by meaning without embedding anything at question time.
A query is embedded once (``query_vector``, cached) and compared with every passage vector of
the organization by one matrix product (``VectorSet``: the organization's vectors held in
memory, reloaded when its generation changes).
The lexical ranking (BM25 or ``ts_rank``) and the dense ranking are fused by reciprocal rank
fusion (``fuse``): a passage high in either list ranks high, one high in both ranks highest, and
no score scale has to be calibrated between the two. Dense hits below ``DENSE_FLOOR`` cosine are
dropped, so a question about something the documents never mention finds nothing instead of the
least unrelated passage.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kinema.knowledge.chunk import Chunk
from kinema.knowledge.embed import Embedder, get_embedder
from kinema.knowledge.sentences import passage_sentences

log = logging.getLogger(__name__)

RRF_K = 60  # the constant of Cormack et al.; ranks beyond a few dozen barely count
DENSE_FLOOR = 0.25  # cosine under which a passage is not about the question (MiniLM)
CANDIDATES = 24  # how deep each ranking is read before fusion
EMBED_BATCH = 32  # passages per progress step while indexing

ProgressFn = Callable[[str, int, int], None]
DEFAULT = "default"  # the embedder named by settings, loaded when first needed


def resolve_embedder(choice: Embedder | str | None) -> Embedder | None:
    """``"default"``: the settings' embedder; a registry name; an instance; ``None``: none."""
    if choice is None:
        return None
    if isinstance(choice, str):
        return get_embedder(None if choice == DEFAULT else choice)
    return choice


def passage_units(heading: str, text: str) -> tuple[str, list[str]]:
    """(nearest heading or "", the passage's sentences as ``passage_sentences`` cuts them)."""
    last = heading.split(" > ")[-1].strip() if heading else ""
    sentences = passage_sentences(text) or [" ".join(text.split())[:1000] or "."]
    return last, sentences


@dataclass
class ChunkVectors:
    """Vectors of indexed passages: one per passage, and one per sentence of each."""

    passages: np.ndarray  # float32 (n, dim), unit rows
    sentences: list[np.ndarray]  # per passage: float32 (sentences, dim)


def embed_chunks(
    embedder: Embedder,
    chunks: Sequence[Chunk],
    progress: ProgressFn | None = None,
    *,
    name: str = "",
) -> ChunkVectors:
    """Embed the heading and every sentence of each chunk (batched); a passage's vector is the
    normalised sum of its heading's and sentences' vectors. ``progress`` hears
    ``("passages", done, total)`` after each batch of ``EMBED_BATCH`` passages."""
    total = len(chunks)
    passages = np.zeros((total, embedder.dim), dtype=np.float32)
    sentences: list[np.ndarray] = []
    for start in range(0, total, EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        units: list[str] = []
        spans: list[tuple[int, int, int]] = []  # (first unit, first sentence, end)
        for c in batch:
            heading, said = passage_units(c.heading, c.text)
            first = len(units)
            if heading:  # a sentence means more with its section's name ("Trade-ins: ...")
                units.append(heading)
                said = [f"{heading}: {s}" for s in said]
            units.extend(said)
            spans.append((first, len(units) - len(said), len(units)))
        # running headers, disclaimers and repeated boilerplate are embedded once
        unique = list(dict.fromkeys(units))
        where = {u: i for i, u in enumerate(unique)}
        vectors = embedder.embed(unique)[[where[u] for u in units]]
        for i, (first, sent, end) in enumerate(spans):
            mean = vectors[first:end].sum(0)
            passages[start + i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
            sentences.append(np.ascontiguousarray(vectors[sent:end]))
        if progress is not None:
            progress("passages", min(start + EMBED_BATCH, total), total)
    if total > 4 * EMBED_BATCH:
        log.info("embedded %d passages of %s", total, name or "a document")
    return ChunkVectors(passages, sentences)


_query_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_query_lock = threading.Lock()


def query_vector(embedder: Embedder, text: str) -> np.ndarray:
    """The unit vector of a query (LRU-cached: retrieval and the brain ask for the same one)."""
    key = (embedder.name, " ".join(text.split()))
    with _query_lock:
        hit = _query_cache.get(key)
        if hit is not None:
            _query_cache.move_to_end(key)
            return hit
    vec = embedder.embed([key[1]])[0]
    vec.setflags(write=False)
    with _query_lock:
        _query_cache[key] = vec
        while len(_query_cache) > 2048:
            _query_cache.popitem(last=False)
    return vec


def sentence_query(
    embedder: Embedder | None, qv: np.ndarray | None, query: str, focus: str | None
) -> np.ndarray | None:
    """The vector sentences are compared with: the query's, or for a follow-up the mean of
    the query's and the newly said words' (so "and on Sundays?" prefers the Sunday sentence
    of the opening-hours passage). Cosines against this mean are the mean of the cosines."""
    if embedder is None or qv is None or not focus or focus.strip() == query.strip():
        return qv
    return (qv + query_vector(embedder, focus)) / 2


def to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype="<f4").tobytes()


def from_blobs(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), dim)


def sentence_sims(blob: bytes | None, query: np.ndarray) -> tuple[float, ...] | None:
    """Cosine of ``query`` to each stored sentence vector of a passage (``None``: none)."""
    if not blob:
        return None
    matrix = np.frombuffer(bytes(blob), dtype="<f4").reshape(-1, query.shape[0])
    return tuple(float(x) for x in matrix @ query)


@dataclass
class VectorSet:
    """One organization's passage vectors in memory: row ids, document ids, the matrix."""

    generation: int
    ids: np.ndarray  # int64 row ids
    doc_ids: np.ndarray  # object array of str
    matrix: np.ndarray  # float32 (n, dim)

    def nearest(
        self, query: np.ndarray, n: int, doc_ids: list[str] | None, floor: float = DENSE_FLOOR
    ) -> list[tuple[int, float]]:
        """(row id, cosine) of the ``n`` most similar passages at or above ``floor``."""
        if not len(self.ids):
            return []
        sims = self.matrix @ query
        if doc_ids is not None:
            sims = np.where(np.isin(self.doc_ids, doc_ids), sims, -1.0)
        n = min(n, len(sims))
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(self.ids[i]), float(sims[i])) for i in top if sims[i] >= floor]


def fuse(
    *rankings: Sequence[int], k: int = RRF_K, tie: dict[int, float] | None = None
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked id lists: ``score = sum 1 / (k + rank)``, best first.
    Equal scores (first in one list, first in the other) go to the higher ``tie`` value (the
    cosine), then to the order of first appearance."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, 1):
            scores[row] = scores.get(row, 0.0) + 1.0 / (k + rank)
    tie = tie or {}
    return sorted(scores.items(), key=lambda kv: (-round(kv[1], 12), -tie.get(kv[0], -2.0)))
