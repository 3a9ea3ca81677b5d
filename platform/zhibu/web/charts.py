"""Small inline SVG charts for tables (a bar in a cell, a trend per row), drawn as plain
markup in Python: hundreds of them per page cost less than template macros."""

from __future__ import annotations

from markupsafe import Markup, escape


def bar(share: float | None, label: str, colour: str = "#2e6da4") -> Markup:
    """A 60×12 bar filled to ``share`` (0–1); empty without one."""
    filled = (
        f'<rect x="0" y="2" width="{60 * share:.1f}" height="8" fill="{colour}"/>'
        if share is not None
        else ""
    )
    return Markup(
        '<svg class="bar" width="60" height="12" viewBox="0 0 60 12" role="img">'
        f'<title>{escape(label)}</title><rect x="0" y="2" width="60" height="8" fill="#eee"/>'
        f"{filled}</svg>"
    )


def trend(points: list[tuple[str, float | None, float | None]], label: str) -> Markup:
    """A row's years: the share at the top level as a green line with dots, the share at
    the lowest as red bars (0–1 each)."""
    n = len(points)
    step = 100 / max(n - 1, 1)
    out = [
        '<svg class="trend" width="80" height="36" viewBox="0 0 120 36" role="img">'
        f'<title>{escape(label)}</title><line x1="0" y1="32" x2="120" y2="32" stroke="#ccc"/>'
    ]
    line = []
    for index, (_year, top, low) in enumerate(points):
        x = 10 + index * step
        if low is not None:
            out.append(
                f'<rect x="{x - 3:.1f}" y="{32 - 28 * low:.1f}" width="6" '
                f'height="{28 * low:.1f}" fill="#c0392b" opacity=".6"/>'
            )
        if top is not None:
            out.append(f'<circle cx="{x:.1f}" cy="{32 - 28 * top:.1f}" r="2.5" fill="#1e8449"/>')
        line.append(f"{x:.1f},{32 - 28 * (top or 0):.1f}")
    if n > 1:
        out.append(
            f'<polyline fill="none" stroke="#1e8449" stroke-width="1.5" points="{" ".join(line)}"/>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def moves(promoted: int, kept: int, demoted: int, label: str, width: int = 60) -> Markup:
    """Units promoted (green), kept (grey) and demoted (red) as one stacked bar."""
    total = promoted + kept + demoted
    out = [
        f'<svg class="moves" width="{width}" height="14" viewBox="0 0 {width} 14" role="img">'
        f'<title>{escape(label)}</title><rect x="0" y="2" width="{width}" height="10" fill="#eee"/>'
    ]
    x = 0.0
    for count, colour in ((promoted, "#1e8449"), (kept, "#aab7b8"), (demoted, "#c0392b")):
        if total and count:
            w = width * count / total
            out.append(f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="10" fill="{colour}"/>')
            x += w
    out.append("</svg>")
    return Markup("".join(out))
