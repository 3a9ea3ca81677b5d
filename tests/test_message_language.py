"""Messages services raise reach people: none may be a plain English literal.

The same holds for the API's own ``abort(..., message=...)``.

A refusal (``ServiceError`` and its family) is shown on a Chinese page or in an API
answer as it is, so its text must be the Chinese msgid passed through ``zhibu.i18n._``.
This scans the source of ``platform/`` and ``plugins/`` and names every raise whose
message is an English string literal or f-string, as ``file:line``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAMILY = {
    "ServiceError",
    "NotFound",
    "Conflict",
    "Invalid",
    "Forbidden",
    "Unprocessable",
    "ImportRejected",
    "PreviewOutdated",
    "LoginNeeded",
    "InputRefused",
    "Immutable",
    "SyncConflict",
    "MonthRejected",
    "WorkbookRejected",
}

# Being translated on other branches at the time this guard was written; the
# coordinator removes each entry when its branch is merged.

# Raises no user can bring about (a plugin author's mistake at import); kept tiny.
INTERNAL: set[str] = set()

WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _literal_text(node: ast.AST) -> str | None:
    """The constant text of a string literal or f-string, or None if it is neither."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    if isinstance(node, ast.BinOp):
        left, right = _literal_text(node.left), _literal_text(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    return None


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def english_raises(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _name(node.func) in FAMILY and node.args:
            text = _literal_text(node.args[0])
        elif _name(node.func) == "abort":  # an API answer made directly by a view
            message = [k.value for k in node.keywords if k.arg == "message"]
            text = _literal_text(message[0]) if message else None
        else:
            continue
        if text is not None and WORD.search(text) and not CJK.search(text):
            lines.append(node.lineno)
        elif text is not None and WORD.search(text.replace("%(", " ")):
            # Chinese mixed with English words outside placeholders is still English
            # to a reader when it is not wrapped in _().
            stripped = re.sub(r"%\(\w+\)s|\{[^}]*\}", "", text)
            if WORD.search(stripped):
                lines.append(node.lineno)
    return lines


def _sources():
    for top in ("platform", "plugins"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/.venv/" in rel:
                continue
            yield rel, path


def test_no_service_error_carries_an_english_literal():
    found = []
    for rel, path in _sources():
        for line in english_raises(path):
            where = f"{rel}:{line}"
            if where not in INTERNAL:
                found.append(where)
    assert not found, "English message raised to users (use zhibu.i18n._):\n" + "\n".join(found)


def test_the_guard_sees_an_english_raise(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from zhibu.errors import Conflict, NotFound\n"
        "from zhibu.i18n import _\n"
        "def f(x):\n"
        "    raise NotFound(f'no org unit {x} in this tenant')\n"
        "def g():\n"
        "    raise Conflict(\n"
        "        'sign off only after a follow-up check (回头看)'\n"
        "    )\n"
        "def h(x):\n"
        "    raise Conflict(_('没有编号为 %(x)s 的组织。', x=x), field='code')\n"
        "def i():\n"
        "    abort(401, message='the bearer token is unknown')\n",
        encoding="utf-8",
    )
    assert english_raises(sample) == [4, 6, 12]
