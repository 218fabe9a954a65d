"""Media primitives shared by every engine: images, audio, video files, safe fetching."""
