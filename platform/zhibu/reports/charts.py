"""Charts as SVG drawn on the server: plain markup, no script, no fonts fetched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

COLOURS = ("#c0392b", "#2e6da4", "#d68910", "#1e8449", "#7d3c98", "#566573")
SVG_NS = "http://www.w3.org/2000/svg"
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', SimHei, sans-serif"


LEGEND_ROW = 18  # px between two rows of the legend


def text_width(text: str, size: int = 12) -> float:
    """About how wide ``text`` is drawn (no font is measured on the server): a Chinese
    character is as wide as the font is high, a Latin letter or digit some 0.6 of it."""
    return sum(size if ord(c) > 0x2E80 else size * 0.6 for c in text)


def _legend_places(names: Sequence[str], left: float, right: float) -> list[tuple[float, int]]:
    """(x, row) of each legend entry (a swatch and its name), in rows that fit between
    ``left`` and ``right``."""
    places, x, row = [], left, 0
    for name in names:
        wide = 16 + text_width(name) + 18
        if x > left and x + wide > right:
            x, row = left, row + 1
        places.append((x, row))
        x += wide
    return places


@dataclass(frozen=True)
class Series:
    """One series of a bar chart: a name, and a count per category (None where the
    category is not one of the series' own: no bar and no 0 is drawn there)."""

    name: str
    counts: Sequence[int | None]

    @property
    def total(self) -> int:
        return sum(count or 0 for count in self.counts)


def share_chart(
    title: str, categories: Sequence[str], series: Sequence[Series], standalone: bool = True
) -> str:
    """Grouped bars of each series' share per category (shares, so that 2,000 branches and
    60,000 members fit one axis); each bar is labelled with its count and share.

    :param standalone: an ``.svg`` document (with the XML namespace) rather than markup to
        put inside an HTML page.
    """
    width, left, bottom = 760, 56, 48
    names = [f"{one.name}(共 {one.total})" for one in series]
    legend = _legend_places(names, left, width - 16)
    rows = 1 + max((y for _x, y in legend), default=0)
    top = 64 + (rows - 1) * LEGEND_ROW
    height = 380 + (rows - 1) * LEGEND_ROW
    plot_w, plot_h = width - left - 16, height - top - bottom
    group_w = plot_w / max(len(categories), 1)
    bar_w = min(40.0, group_w * 0.8 / max(len(series), 1))
    namespace = f' xmlns="{SVG_NS}"' if standalone else ""
    out = [
        f'<svg{namespace} width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(0, 101, 20):
        y = top + plot_h * (1 - tick / 100)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#ccc" stroke-width="{1 if tick else 1.5}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>'
        )
    for s_index, one in enumerate(series):
        colour = COLOURS[s_index % len(COLOURS)]
        total = one.total or 1
        x_legend, row = legend[s_index]
        y_legend = 34 + row * LEGEND_ROW
        out.append(
            f'<rect x="{x_legend:.0f}" y="{y_legend}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x_legend + 16:.0f}" y="{y_legend + 11}">{escape(names[s_index])}</text>'
        )
        for c_index, count in enumerate(one.counts):
            if count is None:
                continue
            share = count / total
            x = left + c_index * group_w + (group_w - bar_w * len(series)) / 2 + s_index * bar_w
            bar_h = plot_h * share
            y = top + plot_h - bar_h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{bar_h:.1f}" '
                f'fill="{colour}"><title>{escape(one.name)} {escape(categories[c_index])}: '
                f"{count} ({share:.1%})</title></rect>"
                f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="10">{count}</text>'
            )
    for c_index, category in enumerate(categories):
        x = left + c_index * group_w + group_w / 2
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 20}" text-anchor="middle">'
            f"{escape(category)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
