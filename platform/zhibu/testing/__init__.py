"""Test support for Zhibu and for plugin authors.

The pytest fixtures in :mod:`zhibu.testing.fixtures` load automatically (``pytest11`` entry
point) wherever ``zhibu`` is installed; see ``docs/plugins.md``.
"""

from zhibu.testing.scenarios import run_scenario, scenario_problems, scenario_report, throwaway
from zhibu.testing.seeds import uncited_rules
from zhibu.testing.servers import (
    postgres_url,
    redis_url,
    require_postgres,
    require_redis,
    require_s3,
    temporary_postgres_database,
    unavailable,
)

__all__ = [
    "postgres_url",
    "redis_url",
    "require_postgres",
    "require_redis",
    "require_s3",
    "run_scenario",
    "scenario_problems",
    "scenario_report",
    "temporary_postgres_database",
    "throwaway",
    "unavailable",
    "uncited_rules",
]
