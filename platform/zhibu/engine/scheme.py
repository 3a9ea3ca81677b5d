"""What a scheme plugin contributes: identity, adjustable settings and its definition."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zhibu.engine.sheets import Problem
from zhibu.engine.targets import Target

if TYPE_CHECKING:
    from zhibu.engine.compute import Definition

_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
INPUT_PHASES = ("self_assessment", "assessment", "review")  # phases that may take inputs
# the kinds of evidence a scheme may share with overseers (an objection's files never leave
# the tenant): a deduction's, a rectification item's, a 回头看 check's, a 销号's
SHAREABLE_EVIDENCE = ("deduction", "item", "follow_up", "sign_off")


class SettingsConflict(ValueError):
    """Settings a scheme cannot make a definition of (a tenant's admin chose them): ``keys``
    name them (a prefix such as ``member_points`` names every ``member_points.…``), and
    ``problem`` says why in Chinese with its English apart (:class:`Problem`). Its ``str``
    is ``"keys: English"``, as a plugin's author reads it; the settings page and the API
    show the reason in the admin's language."""

    def __init__(self, keys: Sequence[str], text: str, en: str):
        self.keys = tuple(keys)
        self.problem = Problem(text, en)
        super().__init__(f"{', '.join(self.keys)}: {en}")


@dataclass(frozen=True)
class Adjustable:
    """A number or choice a tenant may change (a weight, a threshold, indicator points).

    Values are checked against the default's type and the bounds; a tenant's overrides
    make a new scheme version.
    """

    key: str
    default: Any
    title: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None

    def check(self, value: Any) -> Any:
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"{self.key}: expected true or false, got {value!r}")
            return value
        if isinstance(self.default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{self.key}: expected a number, got {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{self.key}: at least {self.minimum}, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{self.key}: at most {self.maximum}, got {value}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(
                f"{self.key}: one of {', '.join(map(str, self.choices))}, got {value!r}"
            )
        return value


@dataclass(frozen=True)
class Scheme:
    """One local standard (评星定级 scheme) as a plugin contributes it.

    :param key: the canonical key used by the API, exports and scenario files
        (``akesu_college``); lowercase letters, digits and ``_``.
    :param title: the Chinese title users see.
    :param title_en: the English title.
    :param seed: the source document the rules come from.
    :param description: one or two sentences on what the scheme rates.
    :param settings: what a tenant may adjust, with the scheme's defaults.
    :param define: builds the engine's :class:`~zhibu.engine.compute.Definition` (tracks,
        rubrics, rules) from the settings; pure.
    :param incident_kinds: incident kind → its Chinese name (veto and downgrade events).
    :param periods: the cycle lengths the scheme runs: ``year``, ``half``, ``quarter``,
        ``month``.
    :param cycle_options: choices made per cycle rather than per tenant (the observation
        round of a county); the rules read them with the settings.
    :param targets: shares the scheme aims at, by period (see :mod:`zhibu.engine.targets`).
    :param deadlines: the default deadline of each phase for a period label
        (``{"self_assessment": "2021-11-30", …}``), used when a cycle is opened without.
    :param labels: key → Chinese name of the scheme's own flags, actions, grades, titles
        and rules (``{"weak_lax": "软弱涣散党组织", "dujiangyan.weak_lax": "软弱涣散认定"}``);
        reports print these before the core's names. An explanation line names its rule
        (the 依据 column) by this name; a rule named nowhere is left unnamed, never shown
        as its key.
    :param month_entry: dotted path of the plugin's own month-entry service, for a
        scheme whose monthly sheets follow rules of their own (who is on a branch's month
        through transfers, …): a module with ``SOURCE``, ``load_sheet`` and
        ``save_month``, which the branch's month page then uses. Empty: the core's.
    :param branch_sources: keys of sources (of any track) a branch secretary enters for
        the units and members of their own branch, besides what every branch enters (its
        self-assessment, a source not counted; its months, periodic sources). Everything
        else is entered by assessors and administrators. Read by
        :func:`zhibu.accounts.policy.branch_enters`.
    :param publicity_days: how long results stay in 结果公示 for objections, in working
        days (Monday to Friday) after the publication; a tenant may change it where the
        scheme makes ``publicity_days`` an adjustable setting.
    :param input_phases: the last phase in which an input is taken, by source key, or
        ``incidents`` / ``records`` for the facts a cycle reads (one of
        ``self_assessment``, ``assessment``, ``review``). Not named: a source the branch
        enters (:func:`~zhibu.accounts.policy.branch_enters`) closes after
        ``self_assessment``, every other source and the facts after ``assessment``.
        Nothing is taken after ``review`` unless an administrator reopens the cycle or
        one of its subjects (:mod:`zhibu.evaluations.phases`).
    :param shareable_evidence: the kinds of evidence files of the scheme's cycles that
        overseers (a county's or a city's organization department reading through an
        oversight link) may open, read-only, from the ledger they drill down to: any of
        ``deduction``, ``item``, ``follow_up`` (回头看), ``sign_off`` (销号). Not named:
        overseers see how many files there are, never the files.
    """

    key: str
    title: str
    title_en: str
    seed: str
    description: str = ""
    settings: tuple[Adjustable, ...] = ()
    define: Callable[[Mapping[str, Any]], Definition] | None = None
    incident_kinds: Mapping[str, str] = field(default_factory=dict)
    periods: tuple[str, ...] = ("year",)
    cycle_options: tuple[Adjustable, ...] = ()
    targets: tuple[Target, ...] = ()
    deadlines: Callable[[str], dict[str, str]] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    month_entry: str = ""
    branch_sources: frozenset[str] = frozenset()
    publicity_days: int = 5
    input_phases: Mapping[str, str] = field(default_factory=dict)
    shareable_evidence: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(
                f"scheme key {self.key!r} must be 2-64 lowercase letters, digits or '_', "
                "starting with a letter"
            )
        if not self.title.strip():
            raise ValueError(f"scheme {self.key!r} needs a title")
        unknown = sorted(set(self.shareable_evidence) - set(SHAREABLE_EVIDENCE))
        if unknown:
            raise ValueError(
                f"scheme {self.key!r}: shareable_evidence {', '.join(unknown)}; "
                f"only {', '.join(SHAREABLE_EVIDENCE)}"
            )
        for key, phase in self.input_phases.items():
            if phase not in INPUT_PHASES:
                raise ValueError(
                    f"scheme {self.key!r}: input {key!r} closes after {phase!r}; "
                    f"one of {', '.join(INPUT_PHASES)}"
                )

    def resolve_settings(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The defaults with ``overrides`` applied; an unknown key or bad value is a
        :class:`ValueError` naming it."""
        known = {s.key: s for s in self.settings}
        values = {s.key: s.default for s in self.settings}
        for key, value in (overrides or {}).items():
            if key not in known:
                raise ValueError(
                    f"{key}: not an adjustable setting of {self.key} "
                    f"(adjustable: {', '.join(sorted(known)) or 'none'})"
                )
            values[key] = known[key].check(value)
        return values

    def definition(self, settings: Mapping[str, Any]) -> Definition:
        if self.define is None:
            raise ValueError(f"scheme {self.key!r} defines no rules yet")
        return self.define(settings)
