"""Live conversations: one session = one pipeline on one media clock (see ``docs/live.md``).

``LiveSession.create(...)`` runs a character on the real engines; ``transport.websocket`` and
``transport.webrtc`` put a session on the wire; ``AvatarService`` is the face alone for agent
frameworks (LiveKit/Pipecat).
"""

from kinema.live.avatar_service import AvatarService, PlaybackFinished
from kinema.live.engines import Engines, ReplySentence
from kinema.live.frames import AudioOut, VideoOut
from kinema.live.session import LiveSession, SessionConfig
from kinema.live.tools import ClientTool

__all__ = [
    "AudioOut",
    "AvatarService",
    "ClientTool",
    "Engines",
    "LiveSession",
    "PlaybackFinished",
    "ReplySentence",
    "SessionConfig",
    "VideoOut",
]
