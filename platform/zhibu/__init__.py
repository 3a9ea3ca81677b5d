"""Zhibu (支部): a multi-tenant platform for Party branch standardization and star ratings.

The application is built by :func:`zhibu.app.create_app`; plugin authors import from
:mod:`zhibu.plugins` (see ``docs/plugins.md``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("zhibu")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
