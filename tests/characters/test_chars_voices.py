"""Voices: Runway live presets, custom voices from words (design) and from a consented sample
(matching, not cloning), previews served as signed WAVs."""

from __future__ import annotations

import io
import wave

from chars_helpers import data_uri, make_avatar, speech_wav


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def test_presets_list_all_thirty(client, headers):
    data = client.get("/v1/voices/presets", headers=headers).json()["data"]
    ids = [v["presetId"] for v in data]
    assert len(ids) == 30 and ids[0] == "victoria" and "luna" in ids
    assert all(v["kinemaVoice"] for v in data)


def test_voice_from_description_is_tuned(client, headers):
    deep = client.post(
        "/v1/voices",
        json={
            "name": "Narrator",
            "from": {
                "type": "text",
                "model": "eleven_ttv_v3",
                "prompt": "deep, slow, older man, British",
            },
        },
        headers=headers,
    )
    assert deep.status_code == 200, deep.text
    v = deep.json()
    assert v["id"] and v["status"] == "READY" and v["spec"]["gender"] == "male"
    assert v["spec"]["language"] == "en-GB"
    high = client.post(
        "/v1/voices",
        json={
            "name": "Quick",
            "from": {
                "type": "text",
                "model": "eleven_ttv_v3",
                "prompt": "very high, fast, young British man",
            },
        },
        headers=headers,
    ).json()
    assert high["spec"]["pitch"] > v["spec"]["pitch"] and high["spec"]["rate"] > v["spec"]["rate"]
    wav = client.get(v["previewUrl"])
    assert wav.status_code == 200 and _wav_seconds(wav.content) > 1.0

    got = client.get(f"/v1/voices/{v['id']}", headers=headers).json()
    assert got["name"] == "Narrator" and got["basedOn"]
    listed = client.get("/v1/voices?limit=10", headers=headers).json()["data"]
    assert {x["id"] for x in listed} == {v["id"], high["id"]}
    patched = client.patch(
        f"/v1/voices/{v['id']}", json={"description": "for audiobooks"}, headers=headers
    ).json()
    assert patched["description"] == "for audiobooks" and patched["name"] == "Narrator"


def test_short_prompt_is_400(client, headers):
    r = client.post(
        "/v1/voices",
        json={"name": "x", "from": {"type": "text", "prompt": "deep", "model": "eleven_ttv_v3"}},
        headers=headers,
    )
    assert r.status_code == 400 and "20 characters" in r.json()["error"]


def test_preview_returns_a_playable_wav(client, headers):
    r = client.post(
        "/v1/voices/preview",
        json={"model": "eleven_ttv_v3", "prompt": "a warm older woman, calm"},
        headers=headers,
    )
    assert r.status_code == 200
    body = r.json()
    wav = client.get(body["url"])
    assert wav.status_code == 200
    assert abs(_wav_seconds(wav.content) - body["durationSecs"]) < 0.01
    assert body["spec"]["gender"] == "female"
    # the URL is signed: tampering is refused
    assert client.get(body["url"].replace("sig=", "sig=0")).status_code == 403


def test_sample_needs_consent_and_is_matched(client, headers):
    sample = data_uri(
        speech_wav("The quick brown fox jumps over the lazy dog. " * 3, "emma"), "audio/wav"
    )
    body = {"name": "Mine", "from": {"type": "audio", "audio": sample}}
    r = client.post("/v1/voices", json=body, headers=headers)
    assert r.status_code == 400 and "consent" in r.json()["error"]
    r = client.post("/v1/voices", json={**body, "consent": {"confirmed": True}}, headers=headers)
    assert r.status_code == 400 and "statement" in r.json()["error"]
    consent = {
        "confirmed": True,
        "statement": "I agree to my voice being matched.",
        "by": "Emma Example",
    }
    r = client.post("/v1/voices", json={**body, "consent": consent}, headers=headers)
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["status"] == "READY" and v["source"] == "audio"
    assert v["consent"]["by"] == "Emma Example" and "matching" in v["method"]
    assert v["spec"]["gender"] == "female" and v["measured"]["f0"] > 165


def test_avatar_voice_validation_and_custom_voice(client, headers, settings):
    from chars_helpers import einstein_uri

    bad = {
        "name": "A",
        "personality": "p",
        "referenceImage": einstein_uri(),
        "voice": {"type": "runway-live-preset", "presetId": "bogus"},
    }
    r = client.post("/v1/avatars", json=bad, headers=headers)
    assert r.status_code == 400
    err = r.json()["error"]
    assert "'bogus'" in err and "victoria" in err and "luna" in err
    voice = client.post(
        "/v1/voices",
        json={
            "name": "Gravel",
            "from": {
                "type": "text",
                "model": "eleven_ttv_v3",
                "prompt": "gravelly deep older American man",
            },
        },
        headers=headers,
    ).json()
    avatar = make_avatar(client, headers, settings, voice={"type": "custom", "id": voice["id"]})
    assert avatar["voice"] == {
        "type": "custom",
        "id": voice["id"],
        "deleted": False,
        "name": "Gravel",
        "description": None,
    }
    assert client.delete(f"/v1/voices/{voice['id']}", headers=headers).status_code == 204
    after = client.get(f"/v1/avatars/{avatar['id']}", headers=headers).json()
    assert after["voice"] == {"type": "custom", "id": voice["id"], "deleted": True}
    r = client.post(
        "/v1/avatars", json={**bad, "voice": {"type": "custom", "id": voice["id"]}}, headers=headers
    )
    assert r.status_code == 400 and "custom voice" in r.json()["error"]
