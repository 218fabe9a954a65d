"""An hour of audio in a small file is refused after the limit, off the loop, in bounded memory."""

from __future__ import annotations

import asyncio
import io
import resource
import time

import av
import numpy as np
import pytest

from kinema.errors import InvalidMedia
from kinema.media.audio import decode_audio


def _long_flac(seconds: int, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="flac") as out:
        st = out.add_stream("flac", rate=rate, layout="mono")
        block = np.zeros((1, rate * 10), np.int16)
        for i in range(seconds // 10):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, i * rate * 10
            for pkt in st.encode(frame):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def hour_flac() -> bytes:
    return _long_flac(3600)


def test_hour_of_flac_is_refused_at_the_limit(hour_flac: bytes) -> None:
    assert len(hour_flac) < 2 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with pytest.raises(InvalidMedia) as err:
        decode_audio(hour_flac, field="speech.audio", max_seconds=121)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert err.value.field == "speech.audio"
    assert "longer than the limit of 121 s" in str(err.value)
    assert grown < 64, f"peak RSS grew {grown:.0f} MB"


async def test_decode_off_the_loop_keeps_the_loop_ticking(hour_flac: bytes) -> None:
    gaps: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(probe())
    with pytest.raises(InvalidMedia):
        await asyncio.to_thread(decode_audio, hour_flac, max_seconds=600)
    done.set()
    await task
    print(f"loop: {len(gaps)} ticks, longest stall {max(gaps) * 1000:.1f} ms")
    assert len(gaps) >= 2  # the loop ran while the decode did
