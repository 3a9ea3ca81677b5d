"""A crawler of the pages a role reaches, and the checks that a page speaks one language.

It follows every link of every page (GET only, a few addresses per route), starting from the
page the role lands on. What a page says is its visible text and the words of its titles,
placeholders and buttons; what the users wrote (names, reasons, the scheme's own wording) is
data, not the interface, and is taken out before the checks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import JSON, String, Text, select
from werkzeug.exceptions import HTTPException

from zhibu.db import db

SKIP = ("/logout", "/lang/", "/api/", "/static/", "/password")
PER_ROUTE = 2  # addresses visited per route (with different ids or filters)
MOST = 160  # pages per role

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")  # runs of characters, not punctuation
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")
# ASCII words a Chinese page may show: file types, abbreviations, the product's name, and the
# name of the other language on the switch
ASCII_IN_CHINESE = {
    "Zhibu", "English", "PDF", "Excel", "xlsx", "xls", "csv", "CSV", "API", "ID", "OpenAPI",
    "REST", "HTML", "SVG", "JSON", "URL", "Redis", "PostgreSQL", "SQLite", "RQ", "KB", "MB",
    "GB", "IP", "HTTPS", "Bearer", "token", "A4",
}  # fmt: skip


# Chinese an English page may show: the name of the other language on the switch
CHINESE_IN_ENGLISH = {"中文"}


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    text: str = ""


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Text(HTMLParser):
    SHOWN_ATTRS = ("title", "placeholder", "alt", "aria-label")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a" and attrs.get("href") and "download" not in attrs:
            self.links.append(attrs["href"])
        for name in self.SHOWN_ATTRS:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


# columns holding a program's words (a key, a state), not a person's: never data
KEY_COLUMNS = {
    "key", "kind", "status", "source", "action", "entity", "phase", "scheme_key", "role",
    "state", "grade", "level", "flag", "rule", "func_name", "job_id", "method", "type",
}  # fmt: skip


def data_strings(*, keys: bool) -> str:
    """Every text the users (and, with ``keys``, the program in its JSON) wrote, joined:
    names, reasons, titles. Without ``keys`` JSON columns and columns of keys and states
    are left out, so that a raw key on a page is never taken for data."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for table in db.metadata.sorted_tables:
        kinds = (String, Text, JSON) if keys else (String, Text)
        columns = [
            c
            for c in table.columns
            if isinstance(c.type, kinds) and (keys or c.name not in KEY_COLUMNS)
        ]
        if columns:
            for row in db.session.execute(select(*columns)):
                walk(list(row))
    return "\n".join(found)


LIBRARIES = {"flask", "flask_babel", "werkzeug", "jinja2", "sqlalchemy", "pluggy", "click"}


def scheme_strings() -> str:
    """The wording of every installed scheme (its titles, indicators, levels, rules)."""
    from zhibu.plugins import registry

    found: list[str] = []
    seen: dict[int, object] = {}  # holding what it saw: an id is never reused meanwhile

    def walk(value, depth=0):
        if depth > 12 or id(value) in seen:
            return
        if isinstance(value, str):
            found.append(value)
            return
        seen[id(value)] = value
        if type(value).__module__.split(".")[0] in LIBRARIES:
            return  # a library's object (a lazy text, an engine): not the scheme's wording
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key, depth + 1)
                walk(item, depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                walk(item, depth + 1)
        elif hasattr(value, "__dict__") and not callable(value):
            walk(vars(value), depth + 1)
        elif hasattr(value, "__slots__"):
            for name in value.__slots__:
                walk(getattr(value, name, None), depth + 1)

    made = registry()
    for scheme in made.schemes.values():
        walk(scheme)
        if scheme.define is not None:
            walk(scheme.definition(scheme.resolve_settings()))
    walk(made)
    return "\n".join(found)


def crawl(app, client, start: str) -> Crawl:
    """The pages reachable from ``start`` by following links, a few per route."""
    adapter = app.url_map.bind("localhost")
    per_route: Counter[str] = Counter()
    queue, seen, done = [start], {start}, Crawl()
    while queue and len(done.pages) < MOST:
        url = queue.pop(0)
        answer = client.get(url, headers={"Accept": "text/html,application/xhtml+xml"})
        if answer.status_code in (301, 302, 303):
            target = urlsplit(answer.headers["Location"])
            nxt = target.path + (f"?{target.query}" if target.query else "")
            if _wanted(nxt) and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
            continue
        page = Page(url, answer.status_code, answer.content_type)
        done.pages.append(page)
        if not answer.content_type.startswith("text/html"):
            continue
        parser = _Text()
        parser.feed(answer.get_data(as_text=True))
        page.text = "\n".join(parser.parts)
        for href in parser.links:
            parts = urlsplit(urljoin(url, href))
            if parts.netloc not in ("", "localhost"):
                continue
            nxt = parts.path + (f"?{parts.query}" if parts.query else "")
            if nxt in seen or not _wanted(nxt):
                continue
            seen.add(nxt)
            try:
                rule = adapter.match(parts.path, method="GET")[0]
            except HTTPException:
                rule = parts.path
            if REPORT.match(nxt):  # each report is a page of its own, not one route
                rule = parts.path.rsplit("/", 1)[-1]
            if per_route[rule] >= PER_ROUTE:
                continue
            per_route[rule] += 1
            queue.append(nxt)
    return done


# a report's printable page (the reports page links it): a Chinese document whatever the
# reader's language, crawled for keys and English words like any page
REPORT = re.compile(r"^/api/v1/tenants/[^/]+/cycles/[^/]+/reports/[a-z_.0-9]+\.html(\?|$)")


def _wanted(url: str) -> bool:
    if REPORT.match(url):
        return True
    return not url.startswith(SKIP) and not url.startswith(("mailto:", "#"))


def chinese_problems(page: Page, data: str) -> list[str]:
    """ASCII words on a Chinese page that are neither data nor allowed abbreviations."""
    problems = []
    for word in set(WORD.findall(page.text)):
        if word in ASCII_IN_CHINESE or word.isupper() or word in data:
            continue
        if word.replace(".", "").replace("-", "").isdigit():
            continue
        if re.fullmatch(r"[A-Za-z]\d*|v\d+(\.\d+)*|\d+[A-Za-z]{1,2}", word):
            continue  # a letter in a code (A1, v2), a unit after a number
        problems.append(f"{page.url}: {word!r}")
    return problems


def english_problems(page: Page, data: str) -> list[str]:
    """Chinese on an English page that is not data (names, reasons, the scheme's wording)."""
    return [
        f"{page.url}: {run!r}"
        for run in set(CJK.findall(page.text))
        if run.strip("\u3000") and run not in data and run not in CHINESE_IN_ENGLISH
    ]
