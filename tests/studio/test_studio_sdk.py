"""The official ``runwayml`` SDK (5.24) against kinema over HTTP: realtime sessions parse into
the SDK's own variants (NOT_READY/READY/RUNNING/.../CANCELLED)."""

from __future__ import annotations

import time

import pytest
import runwayml
from browser_env import free_port, kinema_server

from kinema.config import Settings
from kinema.platform import accounts, db

pytestmark = pytest.mark.slow


@pytest.fixture
def sdk(tmp_path):
    settings = Settings(home=tmp_path / "home", live_size=256)  # type: ignore[arg-type]
    db.migrate(settings)
    with db.session_scope(settings) as s:
        org = accounts.create_org(s, "sdk", credits=10)
        _, key = accounts.create_key(s, org.id)
    with kinema_server(settings, free_port(), run_tasks=False) as url:
        yield runwayml.RunwayML(api_key=key, base_url=url, max_retries=0)


def test_sdk_create_retrieve_delete(sdk):
    created = sdk.realtime_sessions.create(
        model="gwm1_avatars",
        avatar={"type": "runway-preset", "presetId": "tennis-coach"},
        max_duration=60,
        tools=[{"type": "client_event", "name": "show_court", "description": "Show the court."}],
    )
    deadline = time.monotonic() + 60
    while (session := sdk.realtime_sessions.retrieve(created.id)).status == "NOT_READY":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert session.status == "READY"
    assert session.session_key.startswith("sk_") and session.expires_at > session.created_at
    sdk.realtime_sessions.delete(created.id)
    assert sdk.realtime_sessions.retrieve(created.id).status == "CANCELLED"
    with pytest.raises(runwayml.BadRequestError):
        sdk.realtime_sessions.create(
            model="gwm1_avatars", avatar={"type": "runway-preset", "presetId": "astronaut"}
        )
    with pytest.raises(runwayml.NotFoundError):
        sdk.realtime_sessions.retrieve("no-such-session")
