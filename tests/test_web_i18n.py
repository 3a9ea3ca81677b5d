"""Chinese first, English switchable: every text of the pages has its English, and the
catalog is compiled at start-up (no build step on a fresh clone)."""

import os
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from zhibu.web import i18n
from zhibu.web.common import PHASE_TITLES

WEB = Path(i18n.__file__).parent
CORE = WEB.parent  # services mark their messages with zhibu.i18n._ like the pages do
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"


PLUGINS = CORE.parent.parent / "plugins"  # the built-in schemes use the core's catalog


def _texts() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    found = [
        message
        for folder in (CORE, PLUGINS)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(folder), method_map, keywords=keywords
        )
    ]
    return set(found)


def test_every_text_of_the_pages_and_services_has_its_english():
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    texts = _texts()
    assert len(texts) > 150
    missing = sorted(t for t in texts if not (catalog.get(t) and catalog.get(t).string))
    assert missing == [], "add these to messages.po: " + ", ".join(missing)


def test_phase_names_match_the_cycle_service():
    from zhibu.evaluations.cycles import PHASE_NAMES

    assert {k: str(v) for k, v in PHASE_TITLES.items()} == PHASE_NAMES


def test_the_catalog_is_compiled_when_missing_or_older(tmp_path):
    written = i18n.compile_catalogs(i18n.SOURCE, tmp_path)
    mo = tmp_path / "en" / "LC_MESSAGES" / "messages.mo"
    assert written == [mo]
    with mo.open("rb") as handle:
        assert handle and read_mo(handle).get("工作台").string == "Dashboard"
    assert i18n.compile_catalogs(i18n.SOURCE, tmp_path) == []  # up to date: left alone
    old = PO.stat().st_mtime - 60
    os.utime(mo, (old, old))
    assert i18n.compile_catalogs(i18n.SOURCE, tmp_path) == [mo]


def test_the_app_compiles_into_its_instance_folder(app):
    assert (Path(app.instance_path) / "translations/en/LC_MESSAGES/messages.mo").exists()


def test_a_schemes_own_flags_are_named_on_the_pages(app):
    """Flags the core does not know take the scheme's own label (Scheme.labels)."""
    from dujiangyan_quantified import SCHEME
    from zhibu.web.common import flag_name

    with app.test_request_context("/"):
        assert flag_name("weak_lax") == SCHEME.labels["weak_lax"] != "weak_lax"
        assert flag_name("no_such_flag") == "no_such_flag"


def test_a_service_message_follows_the_users_language(app):
    """``zhibu.i18n._`` is Chinese without a request (jobs, commands) and in the user's
    language within one."""
    from zhibu.i18n import _

    assert _("工作台") == "工作台"
    with app.test_request_context("/"):
        from flask import session

        assert _("工作台") == "工作台"
        session["lang"] = "en"
        from flask_babel import refresh

        refresh()
        assert _("工作台") == "Dashboard"
