"""The Pipecat/LiveKit tests need protobuf >= 5, the main environment keeps protobuf 4 for
mediapipe's declared pin: they run in their own venv (``scripts/test`` builds
``.venv-integrations``) through ``test_frameworks_in_venv.py``, or directly where the
frameworks are importable."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("pipecat") is None or importlib.util.find_spec("livekit") is None:
    collect_ignore.append("frameworks")
