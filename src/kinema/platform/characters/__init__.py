"""The Characters domain: documents (knowledge), custom voices, avatars, conversations.

Services take a SQLAlchemy session and an organization id and raise ``KinemaError``s; the API
routers in ``kinema.api.characters`` stay thin. Registers the task kinds it needs on import.
"""

from kinema.platform.jobs.registry import register_task_kind

TASK_KINDS = {
    "avatar_build": "kinema.platform.characters.jobs:run_avatar_build",
    "avatar_video": "kinema.platform.characters.jobs:run_avatar_video",
    "act_two": "kinema.platform.characters.jobs:run_act_two",
}
for _kind, _target in TASK_KINDS.items():
    register_task_kind(_kind, _target)
