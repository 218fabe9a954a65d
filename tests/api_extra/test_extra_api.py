"""The new endpoints over HTTP (TestClient, workers off): request checks name the field, credits
are reserved at create time, and each task's handler (run in-process) makes the media asked."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from helpers import run_task

from conftest import data_uri
from kinema.media.audio import decode_audio
from kinema.media.image import encode_image, load_image
from kinema.media.video import VideoWriter, probe

PRESET = {"type": "runway-preset", "presetId": "Maya"}


def post(client, headers, path, **body):
    return client.post(f"/v1/{path}", headers=headers, json=body)


def balance(client, headers) -> int:
    return client.get("/v1/organization", headers=headers).json()["creditBalance"]


def wav_info(path) -> tuple[int, float]:
    with wave.open(str(path)) as w:
        return w.getframerate(), w.getnframes() / w.getframerate()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("text_to_speech", {"model": "eleven_multilingual_v2", "voice": PRESET}, "promptText"),
        ("text_to_speech", {"model": "eleven_multilingual_v2", "promptText": "hi"}, "voice"),
        ("text_to_speech", {"model": "tts-1", "promptText": "hi", "voice": PRESET}, "model"),
        (
            "text_to_speech",
            {"model": "eleven_v3", "promptText": "hi", "voice": PRESET, "speed": 3},
            "speed",
        ),
        (
            "text_to_speech",
            {"model": "eleven_v4", "promptText": "hi", "voice": {"type": "runway-preset",
                                                                  "presetId": "Nobody"}},
            "voice.presetId",
        ),
        ("text_to_speech", {"model": "seed_audio", "promptText": "hi", "sampleRate": 11025},
         "sampleRate"),
        ("speech_to_speech", {"model": "eleven_multilingual_sts_v2", "voice": PRESET}, "media"),
        ("voice_isolation", {"model": "eleven_voice_isolation"}, "audioUri"),
        ("voice_isolation", {"model": "eleven_voice_isolation",
                             "audioUri": "data:image/png;base64,AAAAAAAAAAAA"}, "audioUri"),
        ("voice_dubbing", {"model": "eleven_voice_dubbing", "audioUri": "x" * 20,
                           "targetLang": "xx"}, "targetLang"),
        ("image_upscale", {"model": "magnific_precision_upscaler_v2", "imageUri": "x" * 20,
                           "scaleFactor": 3}, "scaleFactor"),
        ("image_upscale", {"model": "magnific_precision_upscaler_v2", "sharpen": 101,
                           "imageUri": "x" * 20}, "sharpen"),
        ("video_upscale", {"model": "upscale_v1", "videoUri": "x" * 20}, "model"),
        ("recipes/multi_shot_video", {"mode": "auto", "prompt": "a cat"}, "version"),
        ("recipes/multi_shot_video", {"mode": "auto", "version": "2026-06", "prompt": "a cat",
                                      "duration": 7}, "duration"),
        ("recipes/multi_shot_video", {"mode": "custom", "version": "2026-06", "duration": 5,
                                      "shots": [{"prompt": "a", "duration": 5}]}, "shots"),
        ("recipes/multi_shot_video", {"mode": "auto", "version": "2026-06", "prompt": "a cat",
                                      "audio": True}, "audio"),
    ],
)  # fmt: skip
def test_bad_requests_name_the_field(client, headers, path, body, field):
    r = post(client, headers, path, **body)
    assert r.status_code == 400, r.text
    assert f"'{field}'" in r.json()["error"], r.json()
    assert balance(client, headers) == 1000


def test_dubbing_refuses_translation_clearly(client, headers, speech_wav):
    r = post(client, headers, "voice_dubbing", model="eleven_voice_dubbing",
             audioUri=data_uri(speech_wav, "audio/wav"), targetLang="es")  # fmt: skip
    assert r.status_code == 400
    msg = r.json()["error"]
    assert "translation model" in msg and "'en'" in msg and "text_to_speech" in msg


def test_text_to_speech_prices_per_50_characters_and_speaks(client, headers, settings, tmp_path):
    text = "The quick brown fox jumps over the lazy dog, twice over, for good measure."
    r = post(client, headers, "text_to_speech", model="eleven_multilingual_v2",
             promptText=text, voice=PRESET)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"] == {"credits": 2}  # 74 characters
    assert balance(client, headers) == 998
    (path,), out = run_task(settings, r.json()["id"], tmp_path)
    rate, seconds = wav_info(path)
    assert rate == 22050 and 3.0 < seconds < 9.0
    assert out.extra["duration"] == pytest.approx(seconds, abs=0.01)


def test_seed_audio_reference_voice_mp3_and_rate(client, headers, settings, tmp_path, speech_wav):
    r = post(client, headers, "text_to_speech", model="seed_audio", promptText="Good morning.",
             voice={"type": "reference-audio", "audioUri": data_uri(speech_wav, "audio/wav")},
             outputFormat="mp3", sampleRate=16000)  # fmt: skip
    assert r.status_code == 200, r.text
    (path,), _ = run_task(settings, r.json()["id"], tmp_path)
    assert path.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3") or path.suffix == ".mp3"
    audio = decode_audio(path.read_bytes(), rate=16000)
    assert 0.4 < audio.duration < 3.0


def test_speech_to_speech_keeps_the_words(client, headers, settings, tmp_path, speech_wav):
    src = decode_audio(speech_wav, rate=22050)
    r = post(client, headers, "speech_to_speech", model="eleven_multilingual_sts_v2",
             media={"type": "audio", "uri": data_uri(speech_wav, "audio/wav")},
             voice={"type": "runway-preset", "presetId": "James"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"]["credits"] == int(np.ceil(src.duration / 3))
    (path,), out = run_task(settings, r.json()["id"], tmp_path)
    words = set(out.extra["transcript"].lower().split())
    # pocketsphinx is rough on espeak speech: most of the plain words come through
    assert len({"hello", "there", "short", "spoken", "clearly", "slowly"} & words) >= 3, words
    rate, seconds = wav_info(path)
    assert rate == 22050 and seconds > 1.0


def test_voice_isolation_output_matches_input(client, headers, settings, tmp_path, speech_wav):
    src = decode_audio(speech_wav, rate=22050)
    noisy = src.samples + np.random.default_rng(0).normal(0, 900, len(src.samples))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
        w.writeframes(np.clip(noisy, -32768, 32767).astype(np.int16).tobytes())
    r = post(client, headers, "voice_isolation", model="eleven_voice_isolation",
             audioUri=data_uri(buf.getvalue(), "audio/wav"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"]["credits"] == int(np.ceil(src.duration / 6))
    (path,), _ = run_task(settings, r.json()["id"], tmp_path)
    rate, seconds = wav_info(path)
    assert rate == 22050 and seconds == pytest.approx(src.duration, abs=0.01)
    from kinema.voice.isolation import snr_db

    out = decode_audio(path.read_bytes(), rate=22050).samples
    assert snr_db(src.samples, out) > snr_db(src.samples, noisy) + 2


def test_voice_isolation_refuses_short_audio(client, headers):
    tone = np.zeros(8000, np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(tone.tobytes())
    r = post(client, headers, "voice_isolation", model="eleven_voice_isolation",
             audioUri=data_uri(buf.getvalue(), "audio/wav"))  # fmt: skip
    assert r.status_code == 400 and "4.6" in r.json()["error"]


def test_image_upscale_size_price_and_limit(client, headers, settings, tmp_path):
    from skimage import data as skdata

    png = encode_image(skdata.astronaut()[::4, ::4])  # 128x128
    r = post(client, headers, "image_upscale", model="magnific_precision_upscaler_v2",
             imageUri=data_uri(png, "image/png"), scaleFactor=8, sharpen=20)  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"] == {"credits": 2}  # 1024x1024 = 1.05 MP -> 2 units
    (path,), out = run_task(settings, r.json()["id"], tmp_path)
    assert load_image(path.read_bytes()).shape == (1024, 1024, 3)
    assert "back-projection" in out.extra["method"]
    big = encode_image(np.zeros((1600, 1600, 3), np.uint8))
    r = post(client, headers, "image_upscale", model="magnific_precision_upscaler_v2",
             imageUri=data_uri(big, "image/png"), scaleFactor=4)  # fmt: skip
    assert r.status_code == 400 and "25.3 megapixel" in r.json()["error"]


@pytest.fixture(scope="module")
def clip_uri(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    with VideoWriter(path, 320, 180, 12) as w:
        for i in range(24):
            f = np.full((180, 320, 3), 40, np.uint8)
            f[60:120, 10 + i * 10 : 60 + i * 10] = (230, 180, 40)
            w.write(f)
    return data_uri(path.read_bytes(), "video/mp4")


def test_video_upscale_to_720p(client, headers, settings, tmp_path, clip_uri):
    r = post(client, headers, "video_upscale", model="magnific_video_upscaler_creative",
             videoUri=clip_uri, resolution="720p")  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"] == {"credits": 4}  # 2 s x 2 credits/s
    (path,), _ = run_task(settings, r.json()["id"], tmp_path)
    info = probe(path)
    assert (info.width, info.height, info.frames, info.fps) == (1280, 720, 24, 12)
    r = post(client, headers, "video_upscale", model="magnific_video_upscaler_creative",
             videoUri=clip_uri, resolution="4k")  # fmt: skip
    assert r.status_code == 200


def test_enhance_frame_rate(client, headers, settings, tmp_path, clip_uri):
    r = post(client, headers, "video_upscale", model="enhance_frame_rate", videoUri=clip_uri,
             targetFramerate="29_97")  # fmt: skip
    assert r.status_code == 200, r.text
    (path,), out = run_task(settings, r.json()["id"], tmp_path)
    info = probe(path)
    assert (info.width, info.height) == (320, 180)
    assert info.fps == pytest.approx(29.97, abs=0.01) and abs(info.frames - 60) <= 1
    assert "optical-flow" in out.extra["method"]


def test_multi_shot_custom_renders_the_sum_of_shots(client, headers, settings, tmp_path):
    shots = [
        {"prompt": "a red car on a desert road at sunset", "duration": 2},
        {"prompt": "close-up of the car, dust", "duration": 2},
        {"prompt": "wide shot, night city", "duration": 1},
    ]
    r = post(client, headers, "recipes/multi_shot_video", mode="custom", version="2026-06",
             shots=shots, duration=5, ratio="960:960")  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["estimatedCost"] == {"credits": 60}
    (path,), out = run_task(settings, r.json()["id"], tmp_path)
    info = probe(path)
    assert (info.width, info.height, info.frames, info.fps) == (960, 960, 120, 24)
    assert [s["duration"] for s in out.extra["shots"]] == [2, 2, 1]


def test_multi_shot_auto_makes_five_shots():
    from kinema.api.runway_v1.recipes import auto_shots

    shots = auto_shots("A fox wakes. It runs through snow. It finds a river.", 10)
    assert len(shots) == 5 and sum(s["duration"] for s in shots) == 10
    assert len({s["prompt"] for s in shots}) == 5
    long = auto_shots(". ".join(f"Sentence {i}" for i in range(12)), 15)
    assert len(long) == 5 and "Sentence 11" in long[-1]["prompt"]
