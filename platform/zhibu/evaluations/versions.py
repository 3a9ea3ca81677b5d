"""Scheme versions: a tenant's settings of a scheme, versioned on every change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from zhibu import plugins
from zhibu.db import db
from zhibu.errors import NotFound, ServiceError
from zhibu.i18n import _, in_language
from zhibu.models import SchemeVersion, Tenant
from zhibu.tenancy.scope import current_scope

DEFAULTS_NOTE = "默认设置"  # stored with version 1; pages show it in the reader's language


def scheme_of(tenant: Tenant, key: str):
    if key not in tenant.scheme_keys:
        raise ServiceError(_("本单位没有启用这个评定方案。"), field="scheme")
    try:
        return plugins.registry().scheme(key)
    except KeyError:
        raise ServiceError(_("没有这个评定方案:%(key)s", key=key), field="scheme") from None


def latest_version(tenant: Tenant, key: str) -> SchemeVersion:
    """The newest version; the scheme's defaults become version 1 on first use."""
    version = db.session.scalar(
        select(SchemeVersion)
        .where(SchemeVersion.tenant_id == tenant.id, SchemeVersion.scheme_key == key)
        .order_by(SchemeVersion.number.desc())
        .limit(1)
    )
    return version or save_settings(tenant, key, {}, note=DEFAULTS_NOTE)


def _check_overrides(scheme, overrides: dict[str, Any]) -> None:
    """Each override a setting of the scheme with a value it takes; else refused in the
    user's language, naming the setting by its title."""
    known = {s.key: s for s in scheme.settings}
    for key, value in overrides.items():
        setting = known.get(key)
        if setting is None:
            raise ServiceError(
                _("评定方案“%(scheme)s”没有“%(key)s”这项设置。", scheme=scheme.title, key=key),
                field=key,
            )
        try:
            setting.check(value)
        except ValueError:
            raise ServiceError(_setting_rule(setting, value), field=key) from None


def _setting_rule(setting, value: Any) -> str:
    """What the setting takes, said in Chinese (the engine's own words stay English)."""
    title, default = setting.title, setting.default
    if isinstance(default, bool):
        return _("“%(title)s”只能选“是”或“否”。", title=title)
    if setting.choices is not None:
        return _(
            "“%(title)s”只能是以下之一:%(choices)s。",
            title=title,
            choices="、".join(str(c) for c in setting.choices),
        )
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _("“%(title)s”须填数字,填的是“%(value)s”。", title=title, value=value)
        if setting.minimum is not None and value < setting.minimum:
            return _(
                "“%(title)s”不能小于 %(minimum)s,填的是 %(value)s。",
                title=title,
                minimum=f"{setting.minimum:g}",
                value=value,
            )
        if setting.maximum is not None and value > setting.maximum:
            return _(
                "“%(title)s”不能大于 %(maximum)s,填的是 %(value)s。",
                title=title,
                maximum=f"{setting.maximum:g}",
                value=value,
            )
    return _("“%(title)s”的值“%(value)s”不可用。", title=title, value=value)


def _disagreement(scheme, keys, exc: ValueError) -> str:
    """Settings that cannot make a definition, in the admin's language: named by their
    titles (a prefix such as ``member_points`` names each ``member_points.…``), with the
    scheme's reason when it says it in both languages (:class:`zhibu.engine.
    SettingsConflict`); a plugin's plain English stays out."""
    groups = tuple(f"{k}." for k in keys)
    titles = [s.title for s in scheme.settings if s.key in keys or s.key.startswith(groups)]
    problem = getattr(exc, "problem", None)
    reason = in_language(problem) if problem else None
    if titles and reason:
        return _(
            "这几项设置彼此不一致:%(reason)s。请检查:%(titles)s",
            reason=reason,
            titles="、".join(titles),
        )
    if titles:
        return _("这几项设置彼此不一致,请检查:%(titles)s", titles="、".join(titles))
    if reason:
        return _("这组设置不能组成有效的评定规则:%(reason)s。", reason=reason)
    return _("这组设置不能组成有效的评定规则,请检查后重试。")


def save_settings(
    tenant: Tenant, key: str, overrides: dict[str, Any], note: str = ""
) -> SchemeVersion:
    """A new version when the resolved settings change; the same version otherwise."""
    scheme = scheme_of(tenant, key)
    _check_overrides(scheme, overrides)
    try:
        settings = scheme.resolve_settings(overrides)
        if scheme.define is not None:
            scheme.definition(settings)  # settings that cannot make a definition are refused
    except ValueError as exc:
        keys = getattr(exc, "keys", None) or [k.strip() for k in str(exc).split(":")[0].split(",")]
        raise ServiceError(_disagreement(scheme, keys, exc), field=", ".join(keys)) from None
    current = db.session.scalar(
        select(SchemeVersion)
        .where(SchemeVersion.tenant_id == tenant.id, SchemeVersion.scheme_key == key)
        .order_by(SchemeVersion.number.desc())
        .limit(1)
    )
    if current is not None and current.settings == settings:
        return current
    number = (
        db.session.scalar(
            select(func.max(SchemeVersion.number)).where(
                SchemeVersion.tenant_id == tenant.id, SchemeVersion.scheme_key == key
            )
        )
        or 0
    ) + 1
    defaults = scheme.resolve_settings({})
    version = SchemeVersion(
        tenant_id=tenant.id,
        id=uuid.uuid4(),
        scheme_key=key,
        number=number,
        settings=settings,
        overrides={k: v for k, v in settings.items() if defaults.get(k) != v},
        note=note,
        user_id=current_scope().user_id,
    )
    db.session.add(version)
    db.session.commit()
    return version


MAX_VERSION = 2**31 - 1  # a version's number is a 32-bit integer column


def get_version(tenant: Tenant, key: str, number: int) -> SchemeVersion:
    if not 0 < number <= MAX_VERSION:  # no such version (nor a number the column holds)
        raise NotFound(_("这个评定方案没有第 %(number)s 版设置。", number=number))
    version = db.session.scalar(
        select(SchemeVersion).where(
            SchemeVersion.tenant_id == tenant.id,
            SchemeVersion.scheme_key == key,
            SchemeVersion.number == number,
        )
    )
    if version is None:
        raise NotFound(_("这个评定方案没有第 %(number)s 版设置。", number=number))
    return version


def diff(old: SchemeVersion, new: SchemeVersion) -> dict[str, dict[str, Any]]:
    """Settings that differ: ``{key: {"from": …, "to": …}}``."""
    keys = sorted(set(old.settings) | set(new.settings))
    return {
        k: {"from": old.settings.get(k), "to": new.settings.get(k)}
        for k in keys
        if old.settings.get(k) != new.settings.get(k)
    }
