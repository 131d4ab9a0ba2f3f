"""Inline SVG charts for the offline HTML report.

Hand-written on purpose: the report must open offline with no CDN, and a plotting library
vendored into every report (Plotly's bundle is ~3.5 MB) would dwarf the data. These three chart
shapes are all the report needs; they escape every label and scale to the data they get.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#718096",
           "#b7791f", "#e53e3e", "#4a5568")


def _fmt_default(v: float) -> str:
    return f"{v:,.2f}"


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float]], *,
                 fmt: Callable[[float], str] = _fmt_default, title: str = "",
                 width: int = 760, bar_h: int = 14) -> str:
    """Horizontal bars: one group per category, one bar per series (side by side)."""
    names = list(series)
    label_w, pad, legend_h = 150, 8, 22
    group_h = bar_h * len(names) + pad
    height = legend_h + group_h * len(categories) + pad
    vmax = max([abs(v) for vals in series.values() for v in vals] + [1e-12])
    plot_w = width - label_w - 90
    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, name in enumerate(names):
        x = label_w + i * 170
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{x + 16}" y="14" font-size="12">{escape(name)}</text>')
    for gi, cat in enumerate(categories):
        y0 = legend_h + gi * group_h
        out.append(f'<text x="{label_w - 6}" y="{y0 + group_h / 2}" font-size="12" '
                   f'text-anchor="end" dominant-baseline="middle">{escape(cat)}</text>')
        for si, name in enumerate(names):
            v = float(series[name][gi])
            w = abs(v) / vmax * plot_w
            y = y0 + si * bar_h
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(cat)} · {escape(name)}: '
                       f'{escape(fmt(v))}</title></rect>'
                       f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">'
                       f'{escape(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)


def line_chart(lines: dict[str, Sequence[tuple[float, float]]], *,
               markers: dict[str, Sequence[tuple[float, float, str]]] | None = None,
               x_label: str = "", y_label: str = "", title: str = "",
               width: int = 360, height: int = 220) -> str:
    """Lines through (x, y) points, with labelled point markers (e.g. current vs recommended)."""
    markers = markers or {}
    xs = [x for pts in lines.values() for x, _ in pts] + [m[0] for ms in markers.values() for m in ms]
    ys = [y for pts in lines.values() for _, y in pts] + [m[1] for ms in markers.values() for m in ms]
    x_max, y_max = max(xs + [1e-12]), max(ys + [1e-12])
    left, bottom, top, right = 46, 34, 22, 12
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + x / x_max * pw

    def py(y: float) -> float:
        return top + ph - y / y_max * ph

    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
           f'<text x="{left}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#999"/>',
           f'<text x="{left + pw / 2}" y="{height - 4}" font-size="10" text-anchor="middle">'
           f'{escape(x_label)} (0 – {x_max:,.0f})</text>',
           f'<text x="10" y="{top + ph / 2}" font-size="10" text-anchor="middle" '
           f'transform="rotate(-90 10 {top + ph / 2})">{escape(y_label)} (0 – {y_max:,.2f})</text>']
    for i, (name, pts) in enumerate(lines.items()):
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="2" '
                   f'points="{path}"><title>{escape(name)}</title></polyline>')
    for i, (name, ms) in enumerate(markers.items()):
        color = PALETTE[(i + 1) % len(PALETTE)]
        for x, y, label in ms:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{color}">'
                       f'<title>{escape(label)}</title></circle>'
                       f'<text x="{px(x) + 5:.1f}" y="{py(y) - 5:.1f}" font-size="10">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def funnel(stages: Sequence[str], counts: Sequence[int], *, width: int = 760) -> str:
    """Centered bars, one per stage, widths proportional to the people who entered it."""
    bar_h, gap = 26, 6
    height = len(stages) * (bar_h + gap) + gap
    vmax = max(list(counts) + [1])
    out = [f'<svg class="chart" role="img" aria-label="journey funnel" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (stage, n) in enumerate(zip(stages, counts, strict=True)):
        w = max(2.0, n / vmax * (width - 20))
        x, y = (width - w) / 2, gap + i * (bar_h + gap)
        out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                   f'fill="{PALETTE[i % len(PALETTE)]}" rx="3"><title>{escape(stage)}: {n:,}</title></rect>'
                   f'<text x="{width / 2}" y="{y + bar_h / 2 + 4}" font-size="12" fill="#fff" '
                   f'text-anchor="middle">{escape(stage)} · {n:,}</text>')
    out.append("</svg>")
    return "".join(out)
