"""The Studio (``/studio``) and the widget (``/embed.js``): plain files from ``kinema/web``.

No build step: ES modules and CSS served as they are. Paths are resolved inside the web
directory only; anything else is a 404.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from kinema.errors import NotFound

WEB = Path(__file__).resolve().parents[2] / "web"

router = APIRouter(include_in_schema=False)


def _file(relative: str) -> FileResponse:
    path = (WEB / relative).resolve()
    if WEB not in path.parents or not path.is_file():
        raise NotFound("Not found.")
    # Public files: the widget on other origins imports /studio/live.js as a module.
    headers = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}
    return FileResponse(path, headers=headers)


@router.get("/studio")
def studio_root() -> RedirectResponse:
    return RedirectResponse("/studio/")


@router.get("/studio/")
def studio_index() -> FileResponse:
    return _file("studio/index.html")


@router.get("/studio/presets/{preset_id}.png")
async def preset_portrait(preset_id: str) -> Response:
    """A preset character's portrait (public: they are shippable images, the same for all)."""
    from kinema.platform.characters import presets

    if not presets.is_preset(preset_id):
        raise NotFound(f"No preset {preset_id!r}.")
    png = await asyncio.to_thread(presets.PRESETS[preset_id].png)
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/studio/{path:path}")
def studio_file(path: str) -> FileResponse:
    return _file(f"studio/{path}")


@router.get("/embed.js")
def embed_js() -> FileResponse:
    return _file("embed.js")
