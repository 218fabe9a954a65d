"""Media inputs as Runway accepts them: ``https://`` URLs, ``data:`` URIs and ``runway://``
upload URIs, with Runway's length, size and type limits. Returns the bytes; the caller decodes
(images through ``kinema.media.image.load_image`` so bad files are 400s naming the field).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from kinema.config import Settings, get_settings
from kinema.errors import InvalidMedia
from kinema.media.fetch import fetch_url, parse_data_uri
from kinema.platform.models import Upload, utcnow

MediaKind = Literal["image", "video", "audio"]

DATA_URI_LIMITS = {"image": 5 * 1024 * 1024, "video": 16 * 1024 * 1024, "audio": 16 * 1024 * 1024}
UPLOAD_SCHEME = "runway://uploads/"
UPLOAD_TTL = timedelta(days=1)
MEDIA_EXTENSIONS = {
    "image": (".jpg", ".jpeg", ".png", ".webp"),
    "video": (".mp4", ".mov", ".webm", ".mkv", ".m4v"),
    "audio": (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".flac", ".opus"),
}


def _url_limit(kind: MediaKind, settings: Settings) -> int:
    return settings.max_image_bytes if kind == "image" else settings.max_video_bytes


def resolve_media(
    uri: str,
    kind: MediaKind = "image",
    field: str = "uri",
    *,
    org_id: str | None = None,
    settings: Settings | None = None,
) -> bytes:
    """The bytes behind a media URI, or ``InvalidMedia`` (400) naming ``field`` and the reason."""
    settings = settings or get_settings()
    if not isinstance(uri, str) or len(uri) < 13:
        raise InvalidMedia(
            f"Invalid parameter '{field}': expected a media URI (https://, data: or runway://).",
            field=field,
        )
    if uri.startswith("data:"):
        mime = uri[5 : uri.find(",") if "," in uri else 64].split(";")[0].lower()
        if not mime.startswith(kind + "/"):
            raise InvalidMedia(
                f"Invalid parameter '{field}': expected a data:{kind}/... URI, "
                f"got data:{mime or '?'}.",
                field=field,
            )
        return parse_data_uri(uri, max_bytes=DATA_URI_LIMITS[kind], field=field).data
    if uri.startswith("runway://"):
        if len(uri) > 5000:
            raise InvalidMedia(f"Invalid parameter '{field}': runway:// URI too long.", field=field)
        return _upload_bytes(uri, field, org_id, settings)
    if uri.startswith(("https://", "http://")):
        if len(uri) > 2048:
            raise InvalidMedia(
                f"Invalid parameter '{field}': URLs may be at most 2048 characters.", field=field
            )
        fetched = fetch_url(
            uri,
            max_bytes=_url_limit(kind, settings),
            field=field,
            timeout=settings.fetch_timeout,
            allow_private=settings.allow_private_urls,
            allow_http=settings.allow_http_urls,
        )
        if fetched.content_type == "application/octet-stream":
            raise InvalidMedia(
                f"Invalid parameter '{field}': the server sent "
                "application/octet-stream; it must send the media type.",
                field=field,
            )
        return fetched.data
    if uri.startswith("kinema://"):  # the character library: kinema://avatars/<id>
        from kinema.platform.characters.references import resolve_kinema_uri

        return resolve_kinema_uri(uri, kind, field, org_id=org_id, settings=settings)
    raise InvalidMedia(
        f"Invalid parameter '{field}': unsupported URI scheme; use https://, data: or runway://.",
        field=field,
    )


def _upload_bytes(uri: str, field: str, org_id: str | None, settings: Settings) -> bytes:
    from kinema.platform.db import session_scope
    from kinema.platform.storage import get_storage
    from kinema.platform.tasks import as_utc

    upload_id = uri[len(UPLOAD_SCHEME) :].split("/")[0] if uri.startswith(UPLOAD_SCHEME) else ""
    with session_scope(settings) as s:
        up = s.get(Upload, upload_id) if upload_id else None
        if up is None or (org_id is not None and up.org_id != org_id):
            raise InvalidMedia(f"Invalid parameter '{field}': unknown upload {uri!r}.", field=field)
        if up.storage_key is None:
            raise InvalidMedia(
                f"Invalid parameter '{field}': the upload {uri!r} has no file "
                "yet (POST the file to its uploadUrl first).",
                field=field,
            )
        if as_utc(up.expires_at) < utcnow():
            raise InvalidMedia(
                f"Invalid parameter '{field}': the upload {uri!r} has expired.", field=field
            )
        key = up.storage_key
    return get_storage(settings).get_bytes(key)


def video_facts(data: bytes, field: str = "videoUri") -> tuple[int, int, float]:
    """(width, height, seconds) of an input video, checked to decode at least one frame, or
    ``InvalidMedia`` (400) naming ``field``. Reads headers and one frame, not the whole clip."""
    import io

    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            vs = container.streams.video[0]
            seconds = 0.0
            if vs.duration and vs.time_base:
                seconds = float(vs.duration * vs.time_base)
            elif container.duration:
                seconds = container.duration / av.time_base
            frame = next(container.decode(vs))
            width, height = frame.width, frame.height
    except (av.error.FFmpegError, IndexError, StopIteration, OSError, ValueError) as exc:
        raise InvalidMedia(
            f"Invalid parameter '{field}': not a readable video ({exc}).", field=field
        ) from None
    if seconds <= 0 or width < 2 or height < 2:
        raise InvalidMedia(
            f"Invalid parameter '{field}': the video has no duration or no picture.", field=field
        )
    return width, height, seconds
