"""Media-input resolution for routers (re-exported from the platform, where it lives)."""

from kinema.platform.inputs import MEDIA_EXTENSIONS, MediaKind, resolve_media

__all__ = ["MEDIA_EXTENSIONS", "MediaKind", "resolve_media"]
