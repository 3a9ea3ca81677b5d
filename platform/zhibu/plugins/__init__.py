"""The public surface for plugin authors: import from here, nothing deeper.

    from zhibu.plugins import hookimpl, Scheme

    @hookimpl
    def zhibu_schemes():
        return [Scheme(key="my_scheme", title="我的方案", title_en="My scheme", seed="…")]

Names exported here keep their meaning across minor releases; see ``docs/plugins.md``.
"""

import pluggy

from zhibu.engine.model import AutomaticIndicator, Computed
from zhibu.engine.scheme import Adjustable, Scheme
from zhibu.plugins.contributions import DemoContext, DemoData, ReportBuilder

hookimpl = pluggy.HookimplMarker("zhibu")

__all__ = [
    "Adjustable",
    "AutomaticIndicator",
    "Computed",
    "DemoContext",
    "DemoData",
    "ReportBuilder",
    "Scheme",
    "hookimpl",
]
