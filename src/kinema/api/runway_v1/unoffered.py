"""Every Runway route of SDK 5.24 that this server does not serve answers a 400 that names the
feature, says it is not offered here and, where one fits, what to use instead — never a bare
404. ``UNOFFERED`` is the table; ``tests/api_extra`` checks it covers every SDK route.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kinema.api.deps import current_org, require_version
from kinema.errors import InvalidInput
from kinema.platform.accounts import Caller

router = APIRouter(prefix="/v1", tags=["not offered"], dependencies=[Depends(require_version)])

_ROUTERS = "Use the model names directly on the generation endpoints (e.g. /v1/text_to_video)."
_DIRECT = "Call the generation endpoints directly."
_RECIPE = "Compose it from /v1/text_to_image, /v1/image_to_video or /v1/recipes/multi_shot_video."

# (method, path, feature, instead)
UNOFFERED: list[tuple[str, str, str, str]] = [
    ("POST", "/video_to_audio", "Video to audio (sound-effect generation, mirelo_sfx_2_0)",
     "This server has no sound-generation model; add speech with /v1/text_to_speech."),
    ("POST", "/video_to_hdr", "HDR conversion (ruby)",
     "Regrade with /v1/video_to_video (gen4_aleph) for SDR output."),
    ("POST", "/sound_effect", "Sound-effect generation",
     "This server has no sound-generation model; for speech use /v1/text_to_speech."),
    ("POST", "/generate/video", "The Model Router (/v1/generate/video)", _ROUTERS),
    ("POST", "/generate/image", "The Model Router (/v1/generate/image)",
     "Use /v1/text_to_image with model gen4_image."),
    ("POST", "/generate/audio", "The Model Router (/v1/generate/audio)",
     "Use /v1/text_to_speech."),
    ("POST", "/routers", "Model Router configurations (/v1/routers)", _ROUTERS),
    ("GET", "/routers", "Model Router configurations (/v1/routers)", _ROUTERS),
    ("GET", "/routers/{router_id}", "Model Router configurations (/v1/routers)", _ROUTERS),
    ("PATCH", "/routers/{router_id}", "Model Router configurations (/v1/routers)", _ROUTERS),
    ("DELETE", "/routers/{router_id}", "Model Router configurations (/v1/routers)", _ROUTERS),
    ("GET", "/routers/{router_id}/requests", "Model Router request logs", _ROUTERS),
    ("GET", "/organization/webapp/usage", "Runway web-app usage",
     "Use POST /v1/organization/usage for this server's API usage."),
    ("GET", "/organization/webapp/audit_logs", "Runway web-app audit logs",
     "Use POST /v1/organization/usage, or the server's own logs."),
    ("GET", "/organization/webapp/audit_logs/{event_id}", "Runway web-app audit logs",
     "Use POST /v1/organization/usage, or the server's own logs."),
    ("POST", "/recipes/ad_localization", "The ad_localization recipe",
     "It needs a translation model, which this server does not have."),
    ("POST", "/recipes/marketing_stock_image", "The marketing_stock_image recipe",
     "Use /v1/text_to_image with model gen4_image."),
    ("POST", "/recipes/product_ad", "The product_ad recipe", _RECIPE),
    ("POST", "/recipes/product_campaign_image", "The product_campaign_image recipe",
     "Use /v1/text_to_image with referenceImages."),
    ("POST", "/recipes/product_swap", "The product_swap recipe",
     "Use /v1/video_to_video (gen4_aleph) to restyle a clip."),
    ("POST", "/recipes/product_ugc", "The product_ugc recipe",
     "Use /v1/avatar_videos for a talking presenter."),
    ("GET", "/workflows", "Runway workflows", _DIRECT),
    ("GET", "/workflows/{workflow_id}", "Runway workflows", _DIRECT),
    ("POST", "/workflows/{workflow_id}", "Runway workflows", _DIRECT),
    ("GET", "/workflow_invocations/{invocation_id}", "Runway workflow invocations",
     "Call the generation endpoints directly and poll /v1/tasks/{id}."),
]  # fmt: skip


def message(feature: str, instead: str) -> str:
    return f"Not offered by this server (Kinema, self-hosted): {feature}. {instead}"


def _add(method: str, path: str, feature: str, instead: str) -> None:
    text = message(feature, instead)

    def refuse(caller: Caller = Depends(current_org)) -> None:
        raise InvalidInput(text)

    refuse.__doc__ = text
    router.add_api_route(
        path,
        refuse,
        methods=[method],
        name=f"unoffered {method} {path}",
        responses={400: {"description": text}},
    )


for _row in UNOFFERED:
    _add(*_row)
