"""Words people read, in their own language, for every layer below the pages.

The text in the code is the Chinese a user reads; the English is in the catalog
(``zhibu/web/translations/en/LC_MESSAGES/messages.po``). A service marks a message with
:func:`_` exactly as a page does::

    from zhibu.i18n import _

    raise Conflict(_("周期已确定结果,需先重新开启。"), field="phase")

It is translated when it is made: in a request, into the language the user chose; in a
job or a command (no request), it stays Chinese. Placeholders are named
(``_("第 %(row)s 行", row=3)``), so a translation may put them in another order.

The engine stays free of Flask and of this module: what it says reaches users through
the layer that calls it. Its refusals (``zhibu.engine.Problem``) are Chinese text with the
English kept in ``.en``; a service puts them in a refusal through :func:`in_language`.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import force_locale, get_locale, gettext, lazy_gettext

__all__ = ["_", "_l", "in_language", "stored"]


def _(text: str, **params) -> str:
    """``text`` in the current language, with its named ``params`` filled in."""
    return gettext(text, **params)


def _l(text: str, **params):
    """Like :func:`_`, translated only when shown: for texts defined at import time."""
    return lazy_gettext(text, **params)


def in_language(text: str) -> str:
    """An engine text in the current language: its English (``.en``) when the user chose
    English and the text has one, else the text itself (Chinese, the seeds' language). In
    a job or a command (no request) it stays Chinese."""
    english = getattr(text, "en", None)
    if english and has_request_context() and str(get_locale() or "").startswith("en"):
        return str(english)
    return str(text)


def stored(text, **params) -> str:
    """A text of the catalog (a :func:`_l` text, or a msgid) as it is written to the
    database: in Chinese, the seeds' language, whatever language the user chose. Pages
    show it again in the reader's language through the catalog."""
    with force_locale("zh"):
        return gettext(str(text), **params) if params else str(text)
