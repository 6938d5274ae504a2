"""Citizens' photos are decoded and written again: no EXIF (GPS, camera), no other metadata, the
orientation applied, and anything Pillow cannot decode refused with nothing stored."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from tanggap.cases.models import Case, Message
from tanggap.portal.models import Submission
from tanggap.portal.tests.conftest import (
    JPEG_BYTES,
    PNG_BYTES,
    form_data,
    image_bytes,
    stored_files,
)

CAMERA = "KameraRahasia"
MODEL = "Ponsel-X1"
COMMENT = b"rumah Siti, Gang Mawar"


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Model] = MODEL
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned: show rotated 90° clockwise
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (1.0, 15.0, 55.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 49.0, 52.3)
    return exif


def _png_with_header_size(width: int, height: int) -> bytes:
    """A small valid PNG whose header claims another size (a decompression bomb's shape)."""
    png = bytearray(PNG_BYTES)
    ihdr = 8 + 4 + 4  # signature, chunk length, chunk type
    png[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(png[ihdr - 4:ihdr + 13]))
    png[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    return bytes(png)


@pytest.mark.parametrize("fmt,extension", [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")])
@pytest.mark.parametrize("anonymous", ["", "on"])
def test_gps_exif_is_stripped_and_orientation_applied(client, desk, uploads, fmt, extension,
                                                      anonymous):
    extra = {"comment": COMMENT, "icc_profile": b"ICC-" + CAMERA.encode()} if fmt == "JPEG" else {}
    original = image_bytes(fmt, exif=_exif_with_gps(), **extra)
    assert CAMERA.encode() in original  # the test photo does carry it

    client.post("/lapor/bpn/", {**form_data(anonymous=anonymous),
                                "photo": SimpleUploadedFile(f"foto{extension}", original)})

    (message,) = Message.objects.all()
    (attachment,) = message.attachments
    (stored,) = stored_files(uploads)
    assert stored == attachment["path"] and stored.endswith(extension)
    data = (uploads / stored).read_bytes()
    for secret in (CAMERA.encode(), MODEL.encode(), COMMENT, b"Exif", b"ICC-"):
        assert secret not in data, secret
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.format == fmt
        assert dict(picture.getexif()) == {}
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(picture.info)
        # Orientation 6 applied: the 40×20 picture stands 20×40, its red left half now on top.
        assert picture.size == (20, 40)
        rgb = picture.convert("RGB")
        red, blue = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    assert red[0] > 200 and red[2] < 60, red
    assert blue[2] > 200 and blue[0] < 60, blue
    assert attachment["size"] == len(data)
    assert Submission.objects.get().anonymous is (anonymous == "on")


def _refused(client, uploads, body: bytes, name="foto.jpg"):
    response = client.post("/lapor/bpn/", {**form_data(),
                                           "photo": SimpleUploadedFile(name, body)})
    assert (Case.objects.count(), Message.objects.count(), Submission.objects.count()) == (0, 0, 0)
    assert stored_files(uploads) == []
    return response.content.decode()


@pytest.mark.parametrize("body", [
    b"\xff\xd8\xff\xe0" + b"\x00" * 300,         # a JPEG signature and nothing decodable
    JPEG_BYTES[: len(JPEG_BYTES) // 2],           # a real JPEG cut short
    PNG_BYTES[:40],                               # a real PNG cut short
    b"GIF89a" + b"\x00" * 100,                    # a picture of a kind we do not take
], ids=["signature-only", "truncated-jpeg", "truncated-png", "gif"])
def test_pictures_pillow_cannot_decode_are_refused(client, desk, uploads, body):
    page = _refused(client, uploads, body)
    assert ('<p class="field-error" id="id_photo_error">This file is not a JPEG, PNG or WebP '
            'picture, or it is damaged.</p>') in page


@pytest.mark.parametrize("width,height", [(9000, 9000), (20000, 20000)])
def test_pictures_of_too_many_pixels_are_refused_before_decoding(client, desk, uploads, width,
                                                                 height):
    page = _refused(client, uploads, _png_with_header_size(width, height), name="bom.png")
    assert ('<p class="field-error" id="id_photo_error">The photo has more than 40 megapixels.'
            '</p>') in page
