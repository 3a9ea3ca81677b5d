"""The public surface for plugin authors: import from here, nothing deeper.

    from zhibu.plugins import hookimpl, Scheme

    @hookimpl
    def zhibu_schemes():
        return [Scheme(key="my_scheme", title="我的方案", title_en="My scheme", seed="…")]

Names exported here keep their meaning across minor releases; see ``docs/plugins.md``.
"""

import pluggy

from zhibu.engine.scheme import Scheme
from zhibu.plugins.contributions import AutomaticIndicator, ReportBuilder

hookimpl = pluggy.HookimplMarker("zhibu")

__all__ = ["AutomaticIndicator", "ReportBuilder", "Scheme", "hookimpl"]
