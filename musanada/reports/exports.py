"""Exports of the ticket list and the dashboard tables, as CSV and XLSX, limited by the policy.

Both stream: CSV row by row from a server-side cursor (`iterator()`), so memory stays flat whatever the size;
XLSX through XlsxWriter in `constant_memory` mode, which flushes each row to a temporary file as it is
written, and the finished file is then sent by `FileResponse` in blocks. XlsxWriter was chosen over openpyxl's
write-only mode because it is a single pure-Python dependency with no lxml, writes faster, and its
constant-memory mode holds one row at a time (openpyxl's write-only mode does too, but is several times
slower on a million rows).
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from musanada.org.models import LEVEL_OF_KIND, localized
from musanada.tickets.workflow import Priority, Status

CHUNK = 2000
BOM = "\ufeff"


class _Echo:
    def write(self, value):
        return value


def ticket_header() -> list[str]:
    return [
        _("Reference"),
        _("Subject"),
        _("Status"),
        _("Priority"),
        _("Category"),
        _("Origin unit"),
        _("Origin unit code"),
        _("Desk"),
        _("Level"),
        _("Requester"),
        _("Filed"),
        _("First response"),
        _("Resolved"),
        _("Rating"),
    ]


# Column widths of the XLSX ticket export, in characters, in the header's order.
TICKET_WIDTHS = (17, 50, 14, 10, 28, 34, 12, 34, 12, 24, 17, 17, 17, 8)


def _local(value):
    """A moment as the spreadsheet shows it: Morocco's local time, without a time zone (Excel has none)."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _name_fields(prefix: str) -> tuple[str, str]:
    return f"{prefix}__name_ar", f"{prefix}__name_fr"


def ticket_rows(queryset) -> Iterator[list]:
    """The rows of the ticket export, read in chunks from a server-side cursor: names in the reader's
    language (categories, units, levels, people), dates as dates."""
    rows = queryset.order_by("-filed_at", "-id").values_list(
        "reference",
        "subject",
        "status",
        "priority",
        *_name_fields("category"),
        *_name_fields("origin_unit"),
        "origin_unit__code",
        *_name_fields("desk"),
        "desk__kind",
        "requester__first_name",
        "requester__last_name",
        "requester__username",
        "filed_at",
        "first_response_at",
        "resolved_at",
        "rating",
    )
    statuses, priorities = dict(Status.choices), dict(Priority.choices)
    for (
        reference,
        subject,
        status,
        priority,
        category_ar,
        category_fr,
        origin_ar,
        origin_fr,
        origin_code,
        desk_ar,
        desk_fr,
        kind,
        first_name,
        last_name,
        username,
        filed,
        responded,
        resolved,
        rating,
    ) in rows.iterator(chunk_size=CHUNK):
        level = LEVEL_OF_KIND.get(kind)
        yield [
            reference,
            subject,
            str(statuses.get(status, status)),
            str(priorities.get(priority, priority)),
            localized(category_ar, category_fr),
            localized(origin_ar, origin_fr),
            origin_code,
            localized(desk_ar, desk_fr),
            str(level.label) if level else kind,
            f"{first_name} {last_name}".strip() or username,
            _local(filed),
            _local(responded),
            _local(resolved),
            "" if rating is None else rating,
        ]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value):
    """A cell that a spreadsheet would run as a formula (CSV injection), made plain text: a leading `'`.
    Leading spaces do not hide the formula from every spreadsheet, so they are looked through. A moment is
    written as the Moroccan administration reads it in a file: 2026-11-25 14:05."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and value.lstrip(" ")[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def csv_delimiter(request) -> str:
    """The CSV separator: `?sep=semicolon` or `?sep=comma` when asked, else the one the reader's spreadsheet
    expects: a semicolon in French (Excel in a French locale splits on it), a comma otherwise."""
    asked = request.GET.get("sep", "")
    if asked in ("semicolon", "comma"):
        return ";" if asked == "semicolon" else ","
    return ";" if get_language() == "fr" else ","


def csv_response(
    filename: str, header: list, rows: Iterable[list], delimiter: str = ","
) -> StreamingHttpResponse:
    """UTF-8 with a byte-order mark, so that Excel opens Arabic text correctly. Every cell, the header
    included, is quoted (a spreadsheet splitting on the other separator keeps each text whole) and made safe
    from formulas."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL, delimiter=delimiter)

    def stream():
        yield BOM + writer.writerow([_safe_cell(value) for value in header])
        for row in rows:
            yield writer.writerow([_safe_cell(value) for value in row])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(filename: str, sheets: list) -> FileResponse:
    """One worksheet per (title, header, rows[, widths]), written row by row to a temporary file, then
    streamed: a bold frozen header with a filter, the given column widths, moments as real dates."""
    import xlsxwriter

    # Closed by FileResponse once sent; the file has no name on disk, so nothing is left behind.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook = xlsxwriter.Workbook(
        handle, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bold = workbook.add_format({"bold": True})
    moment = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for title, header, rows, *rest in sheets:
        sheet = workbook.add_worksheet(title[:31])
        if _rtl():
            sheet.right_to_left()
        for column, width in enumerate(rest[0] if rest else ()):
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, header, bold)
        last = 0
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(number, column, value, moment)
                elif value is not None:
                    sheet.write(number, column, value)
            last = number
        sheet.autofilter(0, 0, max(last, 1), len(header) - 1)
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _rtl() -> bool:
    from django.utils.translation import get_language_bidi

    return get_language_bidi()


def dashboard_tables(board) -> list[tuple[str, list, list]]:
    """The dashboard's tables as (title, header, rows), the same numbers the page shows."""

    def seconds(value):
        return "" if value is None else round(value / 3600, 2)

    def share(value):
        return "" if value is None else round(100 * value, 1)

    tables = [
        (
            _("Per day"),
            [_("Day"), _("Filed"), _("Resolved")],
            [[day.isoformat(), filed, resolved] for day, filed, resolved in board.per_day],
        ),
        (
            _("Per week"),
            [_("Week of"), _("Filed"), _("Resolved")],
            [[day.isoformat(), filed, resolved] for day, filed, resolved in board.per_week],
        ),
        (
            _("Levels"),
            [
                _("Level"),
                _("Resolved"),
                _("Share resolved (%)"),
                _("Escalated out"),
                _("First response p50 (h)"),
                _("First response p90 (h)"),
                _("Resolution p50 (h)"),
                _("Resolution p90 (h)"),
                _("SLA met"),
                _("SLA missed"),
            ],
            [
                [
                    str(f.label),
                    f.resolved,
                    share(f.share),
                    f.escalated_out,
                    seconds(f.first_response_p50),
                    seconds(f.first_response_p90),
                    seconds(f.resolution_p50),
                    seconds(f.resolution_p90),
                    f.sla_met,
                    f.sla_missed,
                ]
                for f in board.levels
            ],
        ),
        (
            _("Escalation paths"),
            [_("From"), _("To"), _("Tickets")],
            [[str(source), str(target), count] for source, target, count in board.paths],
        ),
        (
            _("Backlog"),
            [_("Level"), *[str(label) for label in board.statuses], _("Total")],
            [[str(label), *counts, total] for label, counts, total in board.backlog],
        ),
        (
            _("Top categories"),
            [_("Information system"), _("Filed")],
            [[category.code, count] for category, count in board.systems],
        ),
        (
            _("Units"),
            [
                _("Code"),
                _("Unit"),
                _("Filed"),
                _("Resolved"),
                _("Escalated out"),
                _("Average first response (h)"),
                _("Average resolution (h)"),
                _("SLA met (%)"),
                _("Average rating"),
            ],
            [
                [
                    row.unit.code,
                    row.unit.name,
                    row.filed,
                    row.resolved,
                    row.escalated_out,
                    seconds(row.first_response_average),
                    seconds(row.resolution_average),
                    share(row.sla_share),
                    "" if row.rating_average is None else round(row.rating_average, 2),
                ]
                for row in board.children
            ],
        ),
    ]
    return tables
