"""Live endpoints: Runway's ``/v1/realtime_sessions``, the WebSocket/WebRTC connections that
mount ``kinema.live`` transports, the embed widget's publishable-key entry point, the Studio's
dashboard JSON and the static Studio/embed files."""
