"""Rounding and aggregation: the arithmetic every scheme shares."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal


def round2(value: float) -> float:
    """Two decimals, halves away from zero (what people do on paper: 89.995 → 90.00).

    Only an exact half in the third decimal needs decimal arithmetic; every other value
    rounds the same with the float ``round`` (and much faster, for a city's members).
    """
    thousandths = value * 1000
    nearest = round(thousandths)
    if abs(thousandths - nearest) > 1e-6 or nearest % 10 != 5:
        return round(value, 2)
    return float(Decimal(repr(value)).quantize(HUNDREDTHS, rounding=ROUND_HALF_UP))


HUNDREDTHS = Decimal("0.01")


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def trimmed_mean(values: Sequence[float], trim_from: int) -> tuple[float, list[float]]:
    """Mean without the highest and the lowest value once there are ``trim_from`` values
    or more; returns the mean and the values dropped."""
    if len(values) < max(trim_from, 3):
        return mean(values), []
    ordered = sorted(values)
    return mean(ordered[1:-1]), [ordered[0], ordered[-1]]


def fmt(value: float) -> str:
    """89.5 → '89.5', 90.0 → '90' (for reading; totals are rounded with :func:`round2`)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
