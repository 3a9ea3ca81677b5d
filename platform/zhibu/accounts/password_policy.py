"""The password policy: long enough, not a common password, not digits only, not the user
name; optionally three kinds of character (等保).

The common passwords are the 30,000 most common of the list the ``zxcvbn`` package ships
(from the 10-million-password corpus of Xato) and the Chinese users' common passwords in
``common_passwords_zh.txt`` beside this file, compared in lower case.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import current_app

from zhibu.i18n import _

CHINESE_LIST = Path(__file__).with_name("common_passwords_zh.txt")


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    lines = CHINESE_LIST.read_text(encoding="utf-8").splitlines()
    chinese = (line.strip() for line in lines if line.strip() and not line.startswith("#"))
    return frozenset(p.lower() for p in (*FREQUENCY_LISTS["passwords"], *chinese))


def password_problems(password: str, username: str = "") -> list[str]:
    """What the configured policy finds wrong with ``password`` (empty: acceptable), each
    a sentence in the user's language."""
    config = current_app.config
    problems = []
    minimum = config["ZHIBU_PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("密码至少 %(minimum)s 位。", minimum=minimum))
    if password.isdigit():
        problems.append(_("密码不能全是数字。"))
    elif password.lower() in common_passwords():
        problems.append(_("这是常见密码,很容易被猜到,请换一个。"))
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        problems.append(_("密码不能包含用户名。"))
    if config["ZHIBU_PASSWORD_COMPLEXITY"]:
        classes = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
        if sum(bool(re.search(c, password)) for c in classes) < 3:
            problems.append(_("密码须包含大写字母、小写字母、数字、符号中的三类。"))
    return problems
