"""Large downloads streamed: the file is written row by row into a temporary file (on
disk, not in memory), then sent from it in chunks; the file goes when the answer is sent.
"""

from __future__ import annotations

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
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    )
    return response
