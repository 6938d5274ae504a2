"""Citizen photos: decoded with Pillow, written again without metadata, stored under a random name.

The browser's content type and the citizen's file name are never trusted. Every photo is decoded
and encoded anew: what is stored holds the pixels and nothing else, so EXIF (GPS position, camera,
time), XMP, comments and ICC profiles never reach the disk, also for anonymous reports; the EXIF
orientation is applied to the pixels first, so the picture still stands the right way up. A file
Pillow cannot decode is refused, and re-encoding leaves nothing of a file that is a picture and
something else at once. The stored path is random, so a name like `../../x.html` cannot choose
where a file lands or how it is served.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps

MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Checked on the header before any pixel is decoded: a few kilobytes of PNG can claim billions of
# pixels. 40 million is more than any phone photo that fits in 5 MB; decoded it takes ~120 MB.
MAX_PHOTO_PIXELS = 40_000_000


@dataclass(frozen=True)
class ImageType:
    content_type: str
    extension: str
    pillow_format: str
    # Encoder options: JPEG and WebP are lossy, so re-encoding costs a little quality (90 keeps
    # text on a street sign readable); PNG is lossless.
    save_options: tuple[tuple[str, object], ...] = ()


JPEG = ImageType("image/jpeg", ".jpg", "JPEG", (("quality", 90),))
PNG = ImageType("image/png", ".png", "PNG")
WEBP = ImageType("image/webp", ".webp", "WEBP", (("quality", 90),))
_TYPES = {t.pillow_format: t for t in (JPEG, PNG, WEBP)}

# What Pillow raises on a file it cannot decode (a truncated or corrupt stream, a bad header).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)


class PhotoRefused(Exception):
    """The upload cannot be taken; `reason` is "unreadable" or "too_many_pixels"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanPhoto:
    """A photo decoded and encoded again: `data` holds pixels only, upright."""

    data: bytes
    image_type: ImageType
    name: str


def clean_photo(upload) -> CleanPhoto:
    """Decode the upload, apply its orientation and encode it again without any metadata.

    Raises PhotoRefused when it is not a JPEG, PNG or WebP that decodes whole, or has too many
    pixels. Only the first frame of an animated picture is kept.
    """
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice that; refuse those as well.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=list(_TYPES)) as picture:
                if picture.width * picture.height > MAX_PHOTO_PIXELS:
                    raise PhotoRefused("too_many_pixels")
                image_type = _TYPES[picture.format]
                picture.load()
                upright = ImageOps.exif_transpose(picture)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("too_many_pixels") from None
    except _DECODE_ERRORS:
        raise PhotoRefused("unreadable") from None
    if image_type is JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")  # a CMYK JPEG written back may show inverted colours
    # Encoders read some metadata from `info` (a JPEG comment, a PNG's ICC profile): keep only
    # the palette transparency, which is part of the picture.
    transparency = upright.info.get("transparency")
    upright.info = {"transparency": transparency} if transparency is not None else {}
    out = io.BytesIO()
    upright.save(out, image_type.pillow_format, **dict(image_type.save_options))
    return CleanPhoto(data=out.getvalue(), image_type=image_type, name=_display_name(upload.name))


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


def store_photo(photo: CleanPhoto) -> StoredPhoto:
    """Write the cleaned photo under a random name and describe it as a message attachment.

    Written to a `.part` file first and renamed, so a crash mid-write never leaves a truncated
    file under a name that a message points to.
    """
    relative = f"portal/{secrets.token_hex(16)}{photo.image_type.extension}"
    target = upload_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        with open(partial, "xb") as out:
            out.write(photo.data)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredPhoto(
        absolute_path=target,
        metadata={
            "type": "image",
            "name": photo.name,
            "content_type": photo.image_type.content_type,
            "size": len(photo.data),
            "sha256": hashlib.sha256(photo.data).hexdigest(),
            "storage": "uploads",
            "path": relative,
        },
    )
