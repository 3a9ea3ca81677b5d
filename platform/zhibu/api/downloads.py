"""Large downloads streamed: the file is written row by row into a temporary file (on
disk, not in memory), then sent from it in chunks; the file goes when the answer is sent.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, request
from werkzeug.wsgi import wrap_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def streamed(
    write: Callable[[BinaryIO], None], name: str, fallback: str, mimetype: str = XLSX
) -> Response:
    """An attachment made by ``write(file)``: written in full first (the request's
    transaction reads everything it needs while the answer is made), then streamed.

    :param name: the file's name as the user sees it (any language);
    :param fallback: an ASCII name for old browsers.
    """
    out = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response once sent)
    try:
        write(out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = Response(wrap_file(request.environ, out), mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    response.headers["Content-Disposition"] = disposition(name, fallback)
    return response


def disposition(name: str, fallback: str = "") -> str:
    """``Content-Disposition`` of an attachment (RFC 6266): ``name`` in any language for
    the browsers that read ``filename*`` (RFC 5987), and for the rest ``fallback`` kept to
    ASCII letters, digits and ``._-`` (a header is latin-1: a cycle's Chinese label in it
    failed the whole download under a real server). An empty fallback: ``download``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "", fallback).strip("._-") or "download"
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix and not safe.endswith(f".{suffix}") and re.fullmatch(r"[A-Za-z0-9]+", suffix):
        safe = f"{safe}.{suffix}"
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(name, safe='')}"
