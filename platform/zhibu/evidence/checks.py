"""What an uploaded evidence file is, found from its content and never from its name: a
photo (JPEG, PNG; HEIC converted to JPEG), a PDF or an Office document. Refused with a
message that names the file and says what is wrong: too large, not what its name says, of
a kind not taken, a photo of more pixels than any camera takes (a decompression bomb), an
Office file whose parts unpack to far more than it holds (a zip bomb).

Pure checks on bytes: no database, no storage; :mod:`zhibu.evidence.service` stores what
passes."""

from __future__ import annotations

import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from PIL import Image, ImageOps

from zhibu.i18n import _

MB = 1024 * 1024
THUMB = 320  # the longer side of a thumbnail, in pixels

PHOTOS = {"image/jpeg": "jpg", "image/png": "png"}
HEIC = {"image/heic", "image/heif"}
DOCUMENTS = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
ZIPPED = {m for m, ext in DOCUMENTS.items() if ext.endswith("x")}
IMAGE_NAMES = {".jpg", ".jpeg", ".png", ".heic", ".heif", ".gif", ".bmp", ".webp"}


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * MB
    max_pixels: int = 50_000_000
    max_unpacked: int = 200 * MB


@dataclass(frozen=True)
class Checked:
    """A file that passed: what to store, as what, and a thumbnail for a photo."""

    filename: str
    media_type: str
    content: bytes
    thumbnail: bytes | None
    sha256: str

    @property
    def is_photo(self) -> bool:
        return self.media_type in PHOTOS


class EvidenceError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def check(filename: str, content: bytes, limits: Limits = Limits()) -> Checked:
    """The file as it will be stored, or an :class:`EvidenceError` saying why not."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name or "file"
    if not content:
        raise EvidenceError(_("文件“%(name)s”是空的。", name=name))
    if len(content) > limits.max_bytes:
        raise EvidenceError(
            _(
                "文件“%(name)s”有 %(size)s,超过上限 %(limit)s;照片请在手机上缩小后再上传。",
                name=name,
                size=_mb(len(content)),
                limit=_mb(limits.max_bytes),
            )
        )
    found = filetype.guess(content)
    media = found.mime if found else ""
    claims_image = PurePosixPath(name.lower()).suffix in IMAGE_NAMES
    if claims_image and not (media in PHOTOS or media in HEIC):
        raise EvidenceError(
            _(
                "文件“%(name)s”名为图片,内容却不是 JPEG、PNG 或 HEIC 图片;请上传照片原件。",
                name=name,
            )
        )
    if media in PHOTOS or media in HEIC:
        return _photo(name, content, media, limits)
    if media in DOCUMENTS:
        if media in ZIPPED:
            _check_unpacked(name, content, limits)
        return Checked(name, media, content, None, hashlib.sha256(content).hexdigest())
    raise EvidenceError(
        _(
            "无法接收文件“%(name)s”:只接收照片(JPEG、PNG、HEIC)、PDF 和 Office 文档"
            "(Word、Excel、PowerPoint)。",
            name=name,
        )
    )


def _bomb(name: str, width: int, height: int) -> EvidenceError:
    return EvidenceError(
        _(
            "图片“%(name)s”有 %(w)s×%(h)s 像素,远超任何相机所拍,疑为解压炸弹,已拒收。",
            name=name,
            w=width,
            h=height,
        )
    )


def _photo(name: str, content: bytes, media: str, limits: Limits) -> Checked:
    if media in HEIC:
        import pillow_heif

        pillow_heif.register_heif_opener()
    damaged = EvidenceError(_("图片“%(name)s”已损坏,无法打开。", name=name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            width, height = image.size
            if width * height > limits.max_pixels:
                raise _bomb(name, width, height)
            if media == "image/jpeg":
                # kept as sent: decoded once, at the smallest scale that still gives the
                # thumbnail its size (every byte is still read, so a damaged one is refused)
                image.draft("RGB", (THUMB, THUMB))
            image.load()
    except EvidenceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(name, *image.size) from None
    except Exception:
        raise damaged from None
    upright = ImageOps.exif_transpose(image).convert("RGB")
    if media in HEIC:  # a browser shows no HEIC: kept as JPEG
        stem = PurePosixPath(name).stem or "photo"
        out = io.BytesIO()
        upright.save(out, "JPEG", quality=88)
        content, media, name = out.getvalue(), "image/jpeg", f"{stem}.jpg"
    thumb = upright
    thumb.thumbnail((THUMB, THUMB))
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return Checked(name, media, content, out.getvalue(), hashlib.sha256(content).hexdigest())


def _check_unpacked(name: str, content: bytes, limits: Limits) -> None:
    """An Office file is a zip archive: unpacked here, part by part, counting what comes
    out (not what the archive declares), and refused past the limit."""
    bomb = EvidenceError(
        _(
            "文件“%(name)s”解压后超过 %(limit)s,疑为压缩炸弹,已拒收。",
            name=name,
            limit=_mb(limits.max_unpacked),
        )
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > limits.max_unpacked:
            raise bomb
        total = 0
        for info in infos:
            with archive.open(info) as part:
                while chunk := part.read(1024 * 1024):
                    total += len(chunk)
                    if total > limits.max_unpacked:
                        raise bomb
    except EvidenceError:
        raise
    except Exception:
        raise EvidenceError(_("文件“%(name)s”已损坏,无法打开。", name=name)) from None
