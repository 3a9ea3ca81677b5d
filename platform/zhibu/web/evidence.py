"""Evidence files (佐证材料) opened from the pages: the file itself and a photo's
thumbnail, for whoever may see the owner's evidence (:func:`policy.may_see_evidence`);
an overseer is refused (the pages show them counts). Uploads are made on the pages that own
them (the ledger, the score sheet, the offline sheets)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from flask import Blueprint, Response, g

from zhibu.evidence import service
from zhibu.web.guard import register_page_errors, tenant_page

bp = Blueprint("evidence", __name__, url_prefix="/t/<uuid:tenant_id>")
register_page_errors(bp)


def _send(content, media_type: str, filename: str, inline: bool, size=None) -> Response:
    response = Response(content, mimetype=media_type)
    if size is not None:
        response.content_length = size
    how = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f"{how}; filename*=UTF-8''{quote(filename)}"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/evidence/<uuid:file_id>")
@tenant_page("read")
def open_file(tenant_id: uuid.UUID, file_id: uuid.UUID):
    row, chunks = service.stream_file(g.access, file_id)
    inline = row.media_type.startswith("image/") or row.media_type == "application/pdf"
    return _send(chunks, row.media_type, row.filename, inline, row.size)


@bp.get("/evidence/<uuid:file_id>/thumb")
@tenant_page("read")
def thumbnail(tenant_id: uuid.UUID, file_id: uuid.UUID):
    row, chunks = service.stream_file(g.access, file_id, thumbnail=True)
    return _send(chunks, "image/jpeg", f"thumb-{row.filename}.jpg", True)
