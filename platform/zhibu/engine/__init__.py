"""The pure evaluation core: plain data in, plain data out. No Flask, no database, no clock."""

from zhibu.engine.scheme import Scheme

__all__ = ["Scheme"]
