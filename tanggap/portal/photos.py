"""Citizen photos: recognised by their first bytes, stored under a random name.

The browser's content type and the citizen's file name are never trusted: the type comes from
the magic bytes, and the stored path is random, so a name like `../../x.html` or a script with a
`.jpg` label cannot choose where a file lands or how it is served.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

MAX_PHOTO_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ImageType:
    content_type: str
    extension: str


JPEG = ImageType("image/jpeg", ".jpg")
PNG = ImageType("image/png", ".png")
WEBP = ImageType("image/webp", ".webp")


def sniff_image(head: bytes) -> ImageType | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def upload_root() -> Path:
    configured = getattr(settings, "TANGGAP_UPLOAD_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "uploads"


@dataclass(frozen=True)
class StoredPhoto:
    absolute_path: Path
    metadata: dict

    def remove(self) -> None:
        self.absolute_path.unlink(missing_ok=True)


def _display_name(original: str) -> str:
    # Kept for the desk to read, never used as a path.
    name = os.path.basename((original or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:100] or "foto"


def store_photo(upload, image_type: ImageType) -> StoredPhoto:
    """Write the upload under a random name and describe it as a message attachment.

    Written to a `.part` file first and renamed, so a crash mid-write never leaves a truncated
    file under a name that a message points to.
    """
    relative = f"portal/{secrets.token_hex(16)}{image_type.extension}"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(partial, "xb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredPhoto(
        absolute_path=target,
        metadata={
            "type": "image",
            "name": _display_name(upload.name),
            "content_type": image_type.content_type,
            "size": size,
            "sha256": digest.hexdigest(),
            "storage": "uploads",
            "path": relative,
        },
    )
