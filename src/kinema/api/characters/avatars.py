"""``/v1/avatars`` (Runway wire shape) and the Kinema extension
``POST /v1/avatars/{id}/conversation_turns``: one user turn as JSON text or multipart audio."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, StrictBool, ValidationError

from kinema.api.characters.render import avatar_json
from kinema.api.deps import (
    base_url,
    current_org,
    get_app_settings,
    require_version,
    wake_dispatcher,
)
from kinema.api.pagination import paginate
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.characters import avatars as service
from kinema.platform.characters import conversations as conv_service
from kinema.platform.characters.common import signed_url
from kinema.platform.inputs import resolve_media

router = APIRouter(prefix="/v1", tags=["avatars"], dependencies=[Depends(require_version)])


class AvatarIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    personality: str = Field(min_length=1, max_length=20_000)
    reference_image: str = Field(alias="referenceImage")
    voice: dict[str, Any]
    document_ids: list[str] = Field(default_factory=list, alias="documentIds")
    image_processing: Literal["optimize", "none"] = Field(
        default="optimize", alias="imageProcessing"
    )
    start_script: str | None = Field(default=None, alias="startScript", max_length=2000)
    # Kinema extensions
    keypoints: dict[str, Any] | None = None
    emotion: str | None = None
    # strict: "no"/"off"/"0" would otherwise read as booleans; a flag is true or false
    knowledge_only: StrictBool = Field(default=False, alias="knowledgeOnly")


class TurnIn(BaseModel):
    text: str = Field(min_length=1, max_length=conv_service.MAX_TEXT)
    conversation_id: str | None = Field(default=None, alias="conversationId")
    speak: bool = False
    video: bool = False
    video_size: int = Field(default=conv_service.CLIP_SIZE, alias="videoSize", ge=64, le=1024)


def _image(uri: str, caller: Caller, settings: Settings) -> bytes:
    return resolve_media(uri, "image", "referenceImage", org_id=caller.org_id, settings=settings)


@router.post("/avatars")
def create_avatar(
    body: AvatarIn,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Create an avatar; it is PROCESSING until its rig is built (poll ``GET``)."""
    image = _image(body.reference_image, caller, settings)
    with db.session_scope(settings) as s:
        avatar = service.create(
            s,
            caller.org_id,
            settings,
            name=body.name,
            personality=body.personality,
            image=image,
            voice=body.voice,
            document_ids=body.document_ids,
            start_script=body.start_script,
            image_processing=body.image_processing,
            keypoints=body.keypoints,
            emotion=body.emotion,
            knowledge_only=body.knowledge_only,
            api_key_id=caller.key_id,
        )
        out = avatar_json(s, avatar, base_url(request, settings), settings)
    wake_dispatcher(request)
    return out


@router.get("/avatars")
def list_avatars(
    request: Request,
    limit: int = 20,
    cursor: str | None = None,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    base = base_url(request, settings)
    with db.session_scope(settings) as s:
        return paginate(
            s,
            service.list_stmt(caller.org_id),
            limit=limit,
            cursor=cursor,
            render=lambda a: avatar_json(s, service.get(s, caller.org_id, a.id), base, settings),
        )


@router.get("/avatars/{avatar_id}")
def get_avatar(
    avatar_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    with db.session_scope(settings) as s:
        avatar = service.get(s, caller.org_id, avatar_id)
        return avatar_json(s, avatar, base_url(request, settings), settings)


_PATCH_NULLABLE = {"startScript", "voice", "documentIds", "keypoints", "emotion", "imageProcessing"}


def _check_patch(fields: dict[str, Any]) -> dict[str, Any]:
    """PATCH fields validated exactly as at creation (types, lengths, literals), one by one;
    ``null`` keeps its documented meaning where a field may be cleared."""
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    out = dict(fields)
    for name, info in AvatarIn.model_fields.items():
        alias = info.alias or name
        if alias not in fields or (fields[alias] is None and alias in _PATCH_NULLABLE):
            continue
        if alias == "referenceImage" and fields[alias] is None:
            continue
        tp = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        try:
            out[alias] = adapter.validate_python(fields[alias])
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join([alias, *(str(p) for p in err.get("loc", ()))])
            raise InvalidInput(f"Invalid parameter '{where}': {err['msg']}.", field=alias) from None
    return out


@router.patch("/avatars/{avatar_id}")
async def update_avatar(
    avatar_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Any subset of the create fields; ``startScript: null`` clears, ``documentIds``
    replaces, a new ``referenceImage`` or ``keypoints`` rebuilds the rig."""
    try:
        fields = await request.json()
    except ValueError:
        raise InvalidInput("Send a JSON object.") from None
    if not isinstance(fields, dict):
        raise InvalidInput("Send a JSON object.")
    fields = _check_patch(fields)
    if fields.get("referenceImage") is not None:
        fields["referenceImage"] = _image(str(fields["referenceImage"]), caller, settings)

    def work() -> dict:
        with db.session_scope(settings) as s:
            avatar = service.update(
                s, caller.org_id, avatar_id, settings, fields, api_key_id=caller.key_id
            )
            return avatar_json(s, avatar, base_url(request, settings), settings)

    import asyncio

    out = await asyncio.to_thread(work)
    wake_dispatcher(request)
    return out


@router.delete("/avatars/{avatar_id}", status_code=204, response_class=Response)
def delete_avatar(
    avatar_id: str,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    with db.session_scope(settings) as s:
        service.delete(s, caller.org_id, avatar_id, settings)
    return Response(status_code=204)


@router.get("/avatar_usage")
def avatar_usage(
    startDate: str,  # noqa: N803 - wire names
    endDate: str,  # noqa: N803
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Conversations and their measured seconds per UTC day in [startDate, endDate)."""
    start, end = parse_when(startDate, "startDate"), parse_when(endDate, "endDate")
    with db.session_scope(settings) as s:
        return conv_service.usage(s, caller.org_id, start, end, settings)


def parse_when(value: str, field: str) -> datetime:
    """``YYYY-MM-DD`` or an ISO-8601 timestamp, as UTC."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"Invalid parameter '{field}': expected YYYY-MM-DD or an ISO-8601 time.", field=field
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@router.post("/avatars/{avatar_id}/conversation_turns")
async def conversation_turn(
    avatar_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """Kinema: send a user turn and get the reply, its citations and, on request, speech
    (``speak``) and a talking clip (``video``). JSON ``{text, conversationId?, speak?, video?}``
    or multipart with an ``audio`` file (wav/webm/ogg/mp3) and the same fields."""
    audio: bytes | None = None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        file = form.get("audio")
        if file is None or isinstance(file, str):
            raise InvalidInput(
                "Invalid parameter 'audio': attach the audio file as 'audio'.", field="audio"
            )
        audio = await file.read()
        flags = {
            k: str(form.get(k, "")).lower() in ("1", "true", "yes") for k in ("speak", "video")
        }
        conversation_id = str(form.get("conversationId") or "") or None
        size_text = str(form.get("videoSize") or conv_service.CLIP_SIZE)
        if not (size_text.isascii() and size_text.isdigit()) or not 64 <= int(size_text) <= 1024:
            raise InvalidInput(
                "Invalid parameter 'videoSize': an integer from 64 to 1024.", field="videoSize"
            )
        size = int(size_text)
        text = None
    else:
        try:
            body = TurnIn.model_validate(await request.json())
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InvalidInput(
                f"Invalid parameter '{'.'.join(map(str, err['loc']))}': {err['msg']}."
            ) from None
        except ValueError:
            raise InvalidInput(
                "Send JSON {\"text\": ...} or a multipart form with 'audio'."
            ) from None
        text, conversation_id = body.text, body.conversation_id
        flags, size = {"speak": body.speak, "video": body.video}, body.video_size
    result = await conv_service.take_turn(
        settings,
        caller.org_id,
        avatar_id,
        text=text,
        audio=audio,
        conversation_id=conversation_id,
        speak=flags["speak"],
        video=flags["video"],
        clip_size=size // 2 * 2,
    )
    base = base_url(request, settings)
    return {
        "conversationId": result.conversation_id,
        "turn": result.turn,
        "userText": result.user_text,
        "reply": result.reply,
        "citations": result.citations,
        "audioUrl": signed_url(result.audio_key, base, settings),
        "audioSeconds": result.audio_seconds,
        "videoUrl": signed_url(result.video_key, base, settings),
        "timings": result.timings,
    }
