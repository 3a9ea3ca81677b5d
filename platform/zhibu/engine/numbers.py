"""Rounding and aggregation: the arithmetic every scheme shares."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal


def round2(value: float) -> float:
    """Two decimals, halves away from zero (what people do on paper: 89.995 → 90.00).

    Only a value on a half cent (within float error) needs decimal arithmetic; every
    other value rounds the same with the float ``round`` (and much faster, for a city's
    members).
    """
    rounded = round(value, 2)
    if abs(abs(value - rounded) - 0.005) > 1e-9:
        return rounded
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
    """89.5 → '89.5', 90.0 → '90' (for reading; totals are rounded with :func:`round2`).

    The texts are kept: a city's explanations print the same few thousand numbers
    (scores on a 100-point scale, to a tenth or a hundredth) most of a million times.
    """
    text = _shown.get(value)
    if text is None:
        if not value or value != value:  # 0.0 and -0.0 are one key; NaN is never found
            return _fmt(value)
        if len(_shown) >= SHOWN_KEPT:
            _shown.clear()
        text = _shown[value] = _fmt(value)
    return text


def _fmt(value: float) -> str:
    text = f"{value:.2f}"
    if text[-1] != "0":
        return text
    return text[:-1] if text[-2] != "0" else text[:-3]


SHOWN_KEPT = 100_000  # texts fmt keeps at most
_shown: dict[float, str] = {}
