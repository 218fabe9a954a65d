"""Submit a task in one call: copy its inputs to storage, then reserve credits and insert it.

Routers of every area use this: ``submit_task(settings, caller, kind=..., model=...,
payload=..., inputs={"promptImage": b"..."}, cost=...)``. Input bytes land under
``tasks/<id>/inputs/<name>`` and the payload gets ``payload["inputs"][name] = key`` so the
worker reads them back even after a restart.
"""

from __future__ import annotations

from typing import Any

from kinema.config import Settings
from kinema.platform import db, tasks
from kinema.platform.accounts import Caller
from kinema.platform.models import Task, new_id
from kinema.platform.storage import get_storage


def input_key(task_id: str, name: str) -> str:
    return f"tasks/{task_id}/inputs/{name}"


def submit_task(
    settings: Settings,
    caller: Caller,
    *,
    kind: str,
    model: str,
    payload: dict[str, Any],
    cost: int,
    inputs: dict[str, bytes] | None = None,
) -> Task:
    if kind == "generation":  # refuse undrawable prompts before storing anything
        from kinema.platform.generation import precheck

        precheck(payload, inputs)
    task_id = new_id()
    storage = get_storage(settings)
    keys = {
        name: storage.put_bytes(input_key(task_id, name), data)
        for name, data in (inputs or {}).items()
    }
    payload = {**payload, "inputs": {**payload.get("inputs", {}), **keys}}
    try:
        with db.session_scope(settings) as s:
            return tasks.create_task(
                s,
                org_id=caller.org_id,
                kind=kind,
                model=model,
                payload=payload,
                estimated_cost=cost,
                settings=settings,
                api_key_id=caller.key_id,
                task_id=task_id,
            )
    except Exception:
        for key in keys.values():
            storage.delete(key)
        raise
