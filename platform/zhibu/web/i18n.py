"""Chinese first, English switchable: the catalog is compiled when the app starts.

Templates carry the Chinese text (``{{ _('…') }}``); ``translations/en/LC_MESSAGES/
messages.po`` holds the English. The compiled ``.mo`` is not kept in the source tree: it is
written into the instance folder at start-up when missing or older than its ``.po``, so a
fresh clone needs no build step.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, redirect, request, session, url_for
from flask_babel import Babel

from zhibu.web.guard import safe_next

SOURCE = Path(__file__).with_name("translations")
LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` into ``target`` when the
    ``.mo`` is missing or older; returns the files written. Written to a temporary file and
    renamed, so two processes starting at once never read half a catalog."""
    written = []
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3])
        fd, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog)
        os.replace(temporary, mo)
        written.append(mo)
    return written


def select_locale() -> str:
    """The language chosen with the switch (kept in the session); Chinese otherwise, and
    outside a request (a job, a command, a scenario run in the app's context)."""
    if not has_request_context():
        return DEFAULT
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT


def init_i18n(app: Flask) -> None:
    target = Path(app.instance_path) / "translations"
    compile_catalogs(SOURCE, target)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def languages() -> dict:
        return {"languages": LANGUAGES, "current_language": select_locale()}


def switch_language(code: str):
    """``GET /lang/<code>``: remember the language, go back where the user was."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("pages.index")))
