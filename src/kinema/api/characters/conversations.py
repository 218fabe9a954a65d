"""``/v1/avatar_conversations`` (Runway wire shape) plus Kinema's per-conversation
``feedback`` (rating 1–5 and a comment) and ``end``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from kinema.api.characters.avatars import parse_when
from kinema.api.characters.render import conversation_item, conversation_json
from kinema.api.deps import base_url, current_org, get_app_settings, require_version
from kinema.api.pagination import paginate
from kinema.config import Settings
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.characters import conversations as service

router = APIRouter(prefix="/v1", tags=["conversations"], dependencies=[Depends(require_version)])


class FeedbackIn(BaseModel):
    rating: Any = None
    comment: str | None = None


@router.get("/avatar_conversations")
def list_conversations(
    request: Request,
    limit: int = 20,
    cursor: str | None = None,
    avatar: str | None = None,
    startDate: str | None = None,  # noqa: N803 - wire names
    endDate: str | None = None,  # noqa: N803
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    start = parse_when(startDate, "startDate") if startDate else None
    end = parse_when(endDate, "endDate") if endDate else None
    base = base_url(request, settings)
    with db.session_scope(settings) as s:

        def render(conv):
            service.refresh_status(conv, settings)
            return conversation_item(s, conv, base, settings)

        return paginate(
            s,
            service.list_stmt(caller.org_id, avatar, start, end),
            limit=limit,
            cursor=cursor,
            render=render,
        )


@router.get("/avatar_conversations/{conv_id}")
def get_conversation(
    conv_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        conv = service.get(s, caller.org_id, conv_id, settings)
        return conversation_json(s, conv, base_url(request, settings), settings)


@router.delete("/avatar_conversations/{conv_id}", status_code=204, response_class=Response)
def delete_conversation(
    conv_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    from kinema.platform.storage import get_storage

    with db.session_scope(settings) as s:
        s.delete(service.get(s, caller.org_id, conv_id, settings))
    get_storage(settings).delete(f"conversations/{conv_id}")
    return Response(status_code=204)


@router.post("/avatar_conversations/{conv_id}/feedback")
def conversation_feedback(
    conv_id: str,
    body: FeedbackIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Kinema: rate a conversation 1–5 with an optional comment (replaces earlier feedback)."""
    with db.session_scope(settings) as s:
        conv = service.feedback(s, caller.org_id, conv_id, settings, body.rating, body.comment)
        return conversation_json(s, conv, base_url(request, settings), settings)


@router.post("/avatar_conversations/{conv_id}/end")
def end_conversation(
    conv_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Kinema: end a REST conversation now (it also ends after the idle timeout)."""
    with db.session_scope(settings) as s:
        conv = service.end(s, caller.org_id, conv_id, settings)
        return conversation_json(s, conv, base_url(request, settings), settings)
