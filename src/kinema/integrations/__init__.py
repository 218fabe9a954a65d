"""Kinema's face inside agent frameworks that own the conversation (STT → LLM → TTS).

- ``kinema.integrations.pipecat``: ``KinemaVideoService``, a Pipecat ``FrameProcessor`` placed
  after the TTS service: TTS audio in, synchronised video frames (and the audio, on the same
  clock) out, interruptions honoured. ``pip install 'kinema[pipecat]'``.
- ``kinema.integrations.livekit``: ``KinemaVideoGenerator``, a LiveKit Agents
  ``VideoGenerator`` for ``AvatarRunner`` (``push_audio``, ``clear_buffer``, playback-finished
  through ``AudioSegmentEnd``). ``pip install 'kinema[livekit]'``.

Both wrap ``kinema.live.avatar_service.AvatarService`` (one media clock for audio and video,
mouth from phoneme timings or estimated from the audio). The framework packages are imported
only by these modules. See docs/live.md for the install note (protobuf) and runnable examples.
"""
