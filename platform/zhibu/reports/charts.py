"""Charts as SVG drawn on the server: plain markup, no script, no fonts fetched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

COLOURS = ("#c0392b", "#2e6da4", "#d68910", "#1e8449", "#7d3c98", "#566573")
SVG_NS = "http://www.w3.org/2000/svg"
FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', SimHei, sans-serif"


@dataclass(frozen=True)
class Series:
    """One series of a bar chart: a name, and a count per category."""

    name: str
    counts: Sequence[int]


def share_chart(
    title: str, categories: Sequence[str], series: Sequence[Series], standalone: bool = True
) -> str:
    """Grouped bars of each series' share per category (shares, so that 2,000 branches and
    60,000 members fit one axis); each bar is labelled with its count and share.

    :param standalone: an ``.svg`` document (with the XML namespace) rather than markup to
        put inside an HTML page.
    """
    width, height, left, top, bottom = 760, 380, 56, 64, 48
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
        total = sum(one.counts) or 1
        x_legend = left + s_index * 150
        out.append(
            f'<rect x="{x_legend}" y="34" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x_legend + 16}" y="45">{escape(one.name)}(共 {sum(one.counts)})</text>'
        )
        for c_index, count in enumerate(one.counts):
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
