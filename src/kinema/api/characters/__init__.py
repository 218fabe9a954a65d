"""The Characters API: avatars, documents, voices, conversations, avatar videos, act_two.

``router`` bundles the resource routers; ``kinema.api.app.ROUTERS`` lists it once.
"""

from fastapi import APIRouter

import kinema.platform.characters  # noqa: F401 - registers the task kinds
from kinema.api.characters import avatars, conversations, documents, generation, voices

router = APIRouter()
for _module in (documents, voices, avatars, conversations, generation):
    router.include_router(_module.router)
