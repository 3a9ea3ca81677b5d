"""Build the plugin manager inside ``create_app``: hookspecs → entry points → defaults.

The manager is never built at import time, so each app (and each test) gets its own, and
``ZHIBU_PLUGINS`` can choose which installed plugins load. The defaults (Zhibu's own
plugin, :mod:`zhibu.plugins.builtin`) are handed in by the app: they contribute the
command line, which sits above the services this module serves.
"""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from zhibu.plugins import hookspecs

ENTRY_POINT_GROUP = "zhibu.plugins"
BUILTIN_NAME = "zhibu.builtin"


class PluginError(RuntimeError):
    """A plugin cannot be loaded, or two plugins contribute the same name."""


@dataclass
class PluginInfo:
    """What ``zhibu plugins`` shows for one loaded plugin."""

    name: str
    version: str
    module: str
    path: str
    distribution: str | None
    hooks: list[str]
    contributes: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "module": self.module,
            "path": self.path,
            "distribution": self.distribution,
            "hooks": self.hooks,
            "contributes": self.contributes,
        }


# registry hook → (kind shown to users, how to read an item's unique name)
REGISTRIES: dict[str, tuple[str, Any]] = {
    "zhibu_schemes": ("schemes", lambda item: item.key),
    "zhibu_report_builders": ("reports", lambda item: item.key),
    "zhibu_automatic_indicators": ("indicators", lambda item: item.key),
    "zhibu_org_kinds": ("org_kinds", lambda item: item.key),
    "zhibu_record_kinds": ("record_kinds", lambda item: item.key),
    "zhibu_cli_commands": ("commands", lambda item: item.name),
    "zhibu_blueprints": ("blueprints", lambda item: item.name),
    "zhibu_demo_data": ("demos", lambda item: item.key),
}


class PluginRegistry:
    """The loaded plugins and everything they contribute, flattened and checked."""

    def __init__(self, pm: pluggy.PluginManager, distributions: dict[str, md.Distribution]):
        self.pm = pm
        self._distributions = distributions
        self.contributions: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, dict[str, str]] = {}
        for hook_name, (kind, _) in REGISTRIES.items():
            self.contributions[kind], self._owners[kind] = self._collect(hook_name)

    @property
    def schemes(self) -> dict[str, Any]:
        return self.contributions["schemes"]

    @property
    def org_kinds(self) -> dict[str, Any]:
        """Every kind a unit may have, the core's and the plugins' (:class:`OrgKind`)."""
        return self.contributions["org_kinds"]

    @property
    def record_kinds(self) -> dict[str, Any]:
        """Every kind of activity record, the core's and the plugins' (:class:`RecordKind`)."""
        return self.contributions["record_kinds"]

    def scheme(self, key: str):
        """The scheme with ``key``; :class:`KeyError` names the loaded ones if it is absent."""
        try:
            return self.schemes[key]
        except KeyError:
            loaded = ", ".join(sorted(self.schemes)) or "none"
            raise KeyError(f"no scheme {key!r} is loaded (loaded: {loaded})") from None

    def owner(self, kind: str, name: str) -> str | None:
        """The name of the plugin that contributed ``name`` among ``kind`` (``schemes``,
        ``reports`` …), or None."""
        return self._owners.get(kind, {}).get(name)

    def scheme_version(self, key: str) -> str:
        """What identifies the code of scheme ``key``: its plugin's ``__version__`` and its
        distribution's name and version, found through the plugin that contributed it
        (whatever the entry point is called), so that an upgrade of either shows."""
        name = self.owner("schemes", key)
        plugin = self.pm.get_plugin(name) if name else None
        dist = self._distributions.get(name) if name else None
        return " ".join(
            str(part)
            for part in (
                name,
                getattr(plugin, "__version__", None),
                dist.metadata["Name"] if dist else None,
                dist.version if dist else None,
            )
            if part
        )

    def _collect(self, hook_name: str) -> tuple[dict[str, Any], dict[str, str]]:
        kind, name_of = REGISTRIES[hook_name]
        items: dict[str, Any] = {}
        owners: dict[str, str] = {}
        hook = getattr(self.pm.hook, hook_name)
        # get_hookimpls() lists implementations in reverse call order.
        for impl in reversed(hook.get_hookimpls()):
            result = impl.function()
            if result is None:
                continue
            if not isinstance(result, Iterable) or isinstance(result, str | bytes):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook_name}() must return a list, "
                    f"got {type(result).__name__}"
                )
            for item in result:
                name = name_of(item)
                if name in items:
                    what = kind[:-1].replace("_", " ")  # "org kinds" → "org kind"
                    raise PluginError(
                        f"duplicate {what} name {name!r}: contributed by plugin "
                        f"{owners[name]!r} and by plugin {impl.plugin_name!r}"
                    )
                items[name] = item
                owners[name] = impl.plugin_name
        return items, owners

    def describe(self) -> list[PluginInfo]:
        """One :class:`PluginInfo` per loaded plugin, entry-point plugins first."""
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            dist = self._distributions.get(name)
            module = getattr(plugin, "__name__", type(plugin).__name__)
            version = getattr(plugin, "__version__", None) or (
                dist.version if dist else _zhibu_version()
            )
            contributes = {
                kind: sorted(n for n, owner in owners.items() if owner == name)
                for kind, owners in self._owners.items()
            }
            infos.append(
                PluginInfo(
                    name=name,
                    version=version,
                    module=module,
                    path=getattr(plugin, "__file__", "") or "",
                    distribution=dist.metadata["Name"] if dist else None,
                    hooks=sorted(h.name for h in self.pm.get_hookcallers(plugin) or []),
                    contributes={k: v for k, v in contributes.items() if v},
                )
            )
        infos.sort(key=lambda info: (info.name == BUILTIN_NAME, info.name))
        return infos


def _zhibu_version() -> str:
    from zhibu import __version__

    return __version__


def installed_entry_points() -> dict[str, md.EntryPoint]:
    """Every plugin entry point installed in this environment, by name."""
    return {ep.name: ep for ep in md.entry_points(group=ENTRY_POINT_GROUP)}


def build_plugin_manager(
    selection: list[str] | None = None, defaults: Sequence[Any] = ()
) -> PluginRegistry:
    """Create the manager: hookspecs, then entry points, then built-in defaults, then checks.

    :param selection: entry-point names to load; ``None`` loads every installed plugin.
    :param defaults: Zhibu's own plugin modules, registered last (``create_app`` passes
        :mod:`zhibu.plugins.builtin`), each under :data:`BUILTIN_NAME`.
    :raises PluginError: for an unknown name in ``selection``, a plugin that fails to import,
        an implementation of an unknown hook, or duplicate contributions.
    """
    pm = pluggy.PluginManager("zhibu")
    pm.add_hookspecs(hookspecs)

    available = installed_entry_points()
    names = sorted(available) if selection is None else selection
    unknown = [name for name in names if name not in available]
    if unknown:
        raise PluginError(
            f"ZHIBU_PLUGINS (or pytest's zhibu_plugins) names "
            f"{', '.join(map(repr, unknown))}, which {'is' if len(unknown) == 1 else 'are'} "
            f"not installed (installed: {', '.join(sorted(available)) or 'none'}); a plugin "
            f"is found by the name of its entry point in the '{ENTRY_POINT_GROUP}' group of "
            "an installed distribution: pip install -e <the plugin's folder>, in Zhibu's "
            "environment"
        )
    distributions: dict[str, md.Distribution] = {}
    for name in names:
        entry_point = available[name]
        try:
            plugin = entry_point.load()
        except Exception as exc:  # a broken plugin must say which one it is
            raise PluginError(
                f"plugin {name!r} ({entry_point.value}) failed to load: {exc}"
            ) from exc
        pm.register(plugin, name=name)
        if entry_point.dist is not None:
            distributions[name] = entry_point.dist

    for number, default in enumerate(defaults):
        pm.register(default, name=BUILTIN_NAME if number == 0 else f"{BUILTIN_NAME}.{number}")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc)) from exc
    return PluginRegistry(pm, distributions)
