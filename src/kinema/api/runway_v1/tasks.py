"""``GET /v1/tasks/{id}`` and ``DELETE /v1/tasks/{id}``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from kinema.api.deps import (
    base_url,
    current_org,
    get_app_settings,
    require_version,
    wake_dispatcher,
)
from kinema.api.runway_v1.schemas import task_json
from kinema.config import Settings
from kinema.platform import db
from kinema.platform import tasks as task_service
from kinema.platform.accounts import Caller
from kinema.platform.storage import get_storage

router = APIRouter(prefix="/v1", tags=["tasks"], dependencies=[Depends(require_version)])


@router.get("/tasks/{task_id}")
def get_task(
    task_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    """A task: status, progress, signed output URLs (fresh on every call), cost."""
    with db.session_scope(settings) as s:
        task = task_service.get_task(s, caller.org_id, task_id)
        return task_json(task, base_url(request, settings), settings)


@router.delete("/tasks/{task_id}", status_code=204, response_class=Response)
def delete_task(
    task_id: str,
    request: Request,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> Response:
    """Cancel an active task (credits refunded) or delete a finished one; either way its
    files are removed and URLs signed before stop working."""
    with db.session_scope(settings) as s:
        task_service.cancel_or_delete(s, caller.org_id, task_id)
    task_service.remove_files(get_storage(settings), task_id)
    wake_dispatcher(request)
    return Response(status_code=204)
