"""The heatmap as server-rendered SVG: readable without JavaScript, suppressed cells hatched."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from plugins.rhythms.selectors import Cell, Heatmap

CELL = 20
GAP = 2
LEFT = 90
TOP = 22
# Lightest to darkest; the hatching marks what is suppressed, not a lighter shade.
SHADES = ("#dbeafe", "#93c5fd", "#3b82f6", "#1e3a8a")


def cell_title(cell: Cell, weekday: str) -> str:
    """What a cell says, in words (its tooltip and the table's text)."""
    if cell.suppressed:
        return _("%(weekday)s %(hour)02d:00: suppressed (fewer people than the minimum)") % {
            "weekday": weekday,
            "hour": cell.hour,
        }
    return _("%(weekday)s %(hour)02d:00: %(count)s") % {
        "weekday": weekday,
        "hour": cell.hour,
        "count": cell.value,
    }


def heatmap_svg(heatmap: Heatmap, *, title: str) -> SafeString:
    """A 7 x 24 grid; a cell's shade is its share of the busiest shown cell."""
    width = LEFT + 24 * (CELL + GAP)
    height = TOP + 7 * (CELL + GAP) + 2
    pattern_id = f"rhythms-hatch-{heatmap.key}"
    hours = format_html_join(
        "",
        '<text x="{}" y="14" class="rhythms-axis">{}</text>',
        ((LEFT + hour * (CELL + GAP), f"{hour:02d}") for hour in range(0, 24, 3)),
    )
    rows = []
    for index, row in enumerate(heatmap.rows):
        y = TOP + index * (CELL + GAP)
        cells = []
        for cell in row.cells:
            x = LEFT + cell.hour * (CELL + GAP)
            fill = f"url(#{pattern_id})" if cell.suppressed else SHADES[cell.level - 1]
            cells.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-suppressed="{}">'
                    "<title>{}</title></rect>",
                    x,
                    y,
                    CELL,
                    CELL,
                    fill,
                    "true" if cell.suppressed else "false",
                    cell_title(cell, row.label),
                )
            )
        rows.append(
            format_html(
                '<text x="0" y="{}" class="rhythms-axis">{}</text>{}',
                y + CELL - 5,
                row.label,
                SafeString("".join(cells)),
            )
        )
    return format_html(
        '<svg class="rhythms-heatmap" role="img" aria-labelledby="{}-title" '
        'viewBox="0 0 {} {}" width="{}" height="{}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title>'
        '<defs><pattern id="{}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3f4f6"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#9ca3af" stroke-width="2"/></pattern></defs>'
        "{}{}</svg>",
        pattern_id,
        width,
        height,
        width,
        height,
        pattern_id,
        title,
        pattern_id,
        hours,
        SafeString("".join(rows)),
    )


def legend_svg(key: str) -> SafeString:
    """The legend: the four shades, and the hatching of a suppressed cell."""
    pattern_id = f"rhythms-hatch-legend-{key}"
    shades = format_html_join(
        "",
        '<rect x="{}" y="0" width="16" height="16" fill="{}"/>',
        ((index * 18, shade) for index, shade in enumerate(SHADES)),
    )
    return format_html(
        '<svg class="rhythms-legend" width="240" height="18" aria-hidden="true" '
        'xmlns="http://www.w3.org/2000/svg"><defs><pattern id="{}" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f3f4f6"/><line x1="0" y1="0" x2="0" y2="6" '
        'stroke="#9ca3af" stroke-width="2"/></pattern></defs>{}'
        '<rect x="100" y="0" width="16" height="16" fill="url(#{})"/></svg>',
        pattern_id,
        shades,
        pattern_id,
    )
