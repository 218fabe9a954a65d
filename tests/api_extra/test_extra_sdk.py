"""The official SDK (strict response validation) against a real ``kinema serve``: text to
speech and image upscaling end to end, media and credits checked (slow: SDK polls ~6 s)."""

from __future__ import annotations

import io
import time
import wave

import httpx
import pytest
import runwayml
from server_proc import Server

from conftest import data_uri
from kinema.media.image import encode_image, load_image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("sdk_extra")).start()
    deadline = time.monotonic() + 5
    while srv.key is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.key
    yield runwayml.RunwayML(api_key=srv.key, base_url=srv.url, _strict_response_validation=True)
    srv.stop()


def test_sdk_text_to_speech_and_image_upscale(sdk):
    from skimage import data as skdata

    before = sdk.organization.retrieve().credit_balance
    tts = sdk.text_to_speech.create(
        model="eleven_multilingual_v2",
        prompt_text="Hello from a self-hosted server.",
        voice={"type": "runway-preset", "preset_id": "Maya"},
    )
    assert tts.estimated_cost.credits == 1
    up = sdk.image_upscale.create(
        model="magnific_precision_upscaler_v2",
        image_uri=data_uri(encode_image(skdata.astronaut()[::4, ::4]), "image/png"),
        scale_factor=2,
    )
    done = tts.wait_for_task_output(timeout=120)
    assert done.status == "SUCCEEDED" and done.cost.credits == 1
    with wave.open(io.BytesIO(httpx.get(done.output[0], timeout=30).content)) as w:
        assert w.getframerate() == 22050 and 1.0 < w.getnframes() / 22050 < 5.0
    big = up.wait_for_task_output(timeout=120)
    assert big.status == "SUCCEEDED" and big.cost.credits == 1
    img = load_image(httpx.get(big.output[0], timeout=30).content)
    assert img.shape == (256, 256, 3)
    assert sdk.organization.retrieve().credit_balance == before - 2
