"""What a scheme plugin contributes: its identity and, as later parts land, its rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass(frozen=True)
class Scheme:
    """One local standard (评星定级 scheme) as a plugin contributes it.

    :param key: the canonical key used by the API, exports and scenario files
        (``akesu_college``); lowercase letters, digits and ``_``.
    :param title: the Chinese title users see.
    :param title_en: the English title.
    :param seed: the source document the rules come from (a file name in ``shared/seeds``
        or a citation).
    :param description: one or two sentences on what the scheme rates.
    """

    key: str
    title: str
    title_en: str
    seed: str
    description: str = ""

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(
                f"scheme key {self.key!r} must be 2-64 lowercase letters, digits or '_', "
                "starting with a letter"
            )
        if not self.title.strip():
            raise ValueError(f"scheme {self.key!r} needs a title")
