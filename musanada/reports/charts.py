"""Charts drawn on the server as inline SVG: no script, no CDN, and the numbers always sit in a table beside.

In right-to-left pages the time axis runs from right to left and the bars grow from the right, as Arabic
readers expect; the SVG carries its own `direction` so labels are laid out by the browser's bidi rules.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, ROW, LABEL = 480, 22, 150
COLORS = ("#0b5d53", "#c77d14", "#5b6776", "#a4262c")


def _svg(width: int, height: int, title: str, body: str, rtl: bool) -> str:
    direction = "rtl" if rtl else "ltr"
    return mark_safe(  # noqa: S308 - every text inside went through escape()
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" direction="{direction}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{body}</svg>'
    )


def bar_chart(title: str, items: list[tuple[str, float]], *, rtl: bool) -> str:
    """Horizontal bars, one per (label, value); the label at the reading start, the value at the bar's end."""
    height = max(1, len(items)) * ROW + 4
    top = max((value for _label, value in items), default=0) or 1
    span = WIDTH - LABEL - 50
    parts = []
    for index, (label, value) in enumerate(items):
        y = index * ROW + 2
        length = span * value / top
        if rtl:
            label_x, anchor, bar_x, value_x = (
                WIDTH - 4,
                "start",
                WIDTH - LABEL - length,
                WIDTH - LABEL - length - 4,
            )
        else:
            label_x, anchor, bar_x, value_x = 4, "start", LABEL, LABEL + length + 4
        parts.append(
            f'<text x="{label_x}" y="{y + 15}" text-anchor="{anchor}" font-size="12">{escape(label)}</text>'
            f'<rect x="{bar_x:.1f}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" '
            f'fill="{COLORS[0]}"/>'
            f'<text x="{value_x:.1f}" y="{y + 15}" text-anchor="start" font-size="11">'
            f"{escape(_number(value))}</text>"
        )
    return _svg(WIDTH, height, title, "".join(parts), rtl)


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[float]]], *, rtl: bool) -> str:
    """One line per series over `labels` (days or weeks); time runs right to left in RTL pages."""
    height, pad, legend = 180, 30, 18
    count = len(labels)
    top = max((max(values, default=0) for _name, values in series), default=0) or 1
    plot_w, plot_h = WIDTH - 2 * pad, height - pad - legend

    def x(index: int) -> float:
        share = index / (count - 1) if count > 1 else 0.5
        return pad + (1 - share if rtl else share) * plot_w

    def y(value: float) -> float:
        return legend + plot_h - plot_h * value / top

    parts = [
        f'<line x1="{pad}" y1="{legend + plot_h}" x2="{WIDTH - pad}" y2="{legend + plot_h}" '
        'stroke="#d8dee6"/>',
        f'<text x="{WIDTH - 2 if rtl else 2}" y="{legend + 10}" font-size="10" text-anchor="start">'
        f"{escape(_number(top))}</text>",
    ]
    if labels:
        parts.append(
            f'<text x="{x(0):.1f}" y="{height - 4}" font-size="10" text-anchor="middle">'
            f"{escape(labels[0])}</text>"
            f'<text x="{x(count - 1):.1f}" y="{height - 4}" font-size="10" text-anchor="middle">'
            f"{escape(labels[-1])}</text>"
        )
    for number, (name, values) in enumerate(series):
        color = COLORS[number % len(COLORS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        legend_x = WIDTH - pad - number * 120 if rtl else pad + number * 120
        parts.append(
            f'<rect x="{legend_x - (10 if rtl else 0)}" y="4" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + (-14 if rtl else 14)}" y="13" font-size="11">{escape(name)}</text>'
        )
    return _svg(WIDTH, height, title, "".join(parts), rtl)


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
