"""Every Characters response validates against the SDK 5.24 response types (the variant picked
by ``status`` must be the right one), including live-session conversations that failed."""

from __future__ import annotations

import pydantic
import runwayml.types as t
from chars_helpers import make_avatar, no_face_uri

from kinema.platform import db
from kinema.platform.models import utcnow


def _check(tp, data):
    obj = pydantic.TypeAdapter(tp).validate_python(data)
    return obj


def test_responses_match_the_sdk_types(client, headers, settings):
    doc = client.post(
        "/v1/documents", json={"name": "D", "content": "Facts."}, headers=headers
    ).json()
    _check(t.DocumentCreateResponse, doc)
    ready = make_avatar(client, headers, settings, documentIds=[doc["id"]])
    failed = make_avatar(client, headers, settings, referenceImage=no_face_uri())
    assert type(_check(t.AvatarRetrieveResponse, ready)).__name__ == "Ready"
    got = _check(t.AvatarRetrieveResponse, failed)
    assert type(got).__name__ == "Failed" and got.failure_reason
    for item in client.get("/v1/avatars?limit=10", headers=headers).json()["data"]:
        _check(t.AvatarListResponse, item)
    _check(
        t.DocumentRetrieveResponse, client.get(f"/v1/documents/{doc['id']}", headers=headers).json()
    )
    for item in client.get("/v1/documents?limit=5", headers=headers).json()["data"]:
        _check(t.DocumentListResponse, item)
    voice = client.post(
        "/v1/voices",
        json={
            "name": "V",
            "from": {
                "type": "text",
                "model": "eleven_ttv_v3",
                "prompt": "a calm, warm older woman",
            },
        },
        headers=headers,
    ).json()
    _check(t.VoiceCreateResponse, voice)
    assert (
        type(
            _check(
                t.VoiceRetrieveResponse,
                client.get(f"/v1/voices/{voice['id']}", headers=headers).json(),
            )
        ).__name__
        == "Ready"
    )
    _check(
        t.VoicePreviewResponse,
        client.post(
            "/v1/voices/preview",
            json={"model": "eleven_ttv_v3", "prompt": "a calm, warm older woman"},
            headers=headers,
        ).json(),
    )

    turn = client.post(
        f"/v1/avatars/{ready['id']}/conversation_turns", json={"text": "Hi!"}, headers=headers
    ).json()
    open_conv = client.get(
        f"/v1/avatar_conversations/{turn['conversationId']}", headers=headers
    ).json()
    assert type(_check(t.AvatarConversationRetrieveResponse, open_conv)).__name__ == "InProgress"
    ended = client.post(
        f"/v1/avatar_conversations/{turn['conversationId']}/end", headers=headers
    ).json()
    assert type(_check(t.AvatarConversationRetrieveResponse, ended)).__name__ == "Ended"

    # a live session (written by the live area) that failed, with a preset avatar
    from kinema.platform.characters.models import Conversation

    with db.session_scope(settings) as s:
        org_id = s.get(Conversation, turn["conversationId"]).org_id
        s.add(
            Conversation(
                org_id=org_id,
                avatar_id=None,
                avatar_name="influencer",
                name="Live session",
                status="failed",
                transcript=[],
                turns=[],
                created_at=utcnow(),
                started_at=utcnow(),
                ended_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    items = client.get("/v1/avatar_conversations?limit=10", headers=headers).json()["data"]
    for item in items:
        _check(t.AvatarConversationListResponse, item)
    live = next(i for i in items if i["status"] == "failed")
    assert live["avatar"] == {
        "type": "runway-preset",
        "presetId": "influencer",
        "name": "Influencer",
    }
    full = client.get(f"/v1/avatar_conversations/{live['id']}", headers=headers).json()
    assert type(_check(t.AvatarConversationRetrieveResponse, full)).__name__ == "Failed"
    today = ended["createdAt"][:10]
    usage = client.get(
        f"/v1/avatar_usage?startDate={today}&endDate={today}T23:59:59Z", headers=headers
    ).json()
    _check(t.AvatarGetUsageResponse, usage)
    assert usage["totalSessions"] == 2
