"""Exports stream, carry the rows the user may list, and never another province's tickets."""

import csv
import io
import re
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation

from musanada.reports.services import rollup_range
from musanada.tickets import policy
from musanada.tickets.models import Ticket
from tests.helpers import file_request


@pytest.fixture
def tickets(people, units):
    made = []
    for requester, unit in [
        ("teacher", "01001A"),
        ("teacher", "01001A"),
        ("head2", "01002B"),
        ("province2", "MA-01-03"),
        ("outsider_teacher", "02001D"),
    ]:
        made.append(file_request(people[requester], units[unit], subject="=HYPERLINK(1)"))
    return made


def _csv_rows(response):
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_ticket_export_streams_the_rows_the_observer_may_list_and_no_other_province(tickets, people, client):
    client.force_login(people["observer"])
    response = client.get(reverse("tickets-export", args=["csv"]), {"tab": "all"})
    assert response.status_code == 200
    rows = _csv_rows(response)
    references = {row[0] for row in rows[1:]}
    expected = set(policy.visible_tickets(people["observer"]).values_list("reference", flat=True))
    assert references == expected
    assert references == {
        t.reference for t in tickets if t.origin_unit.path.startswith("/MEN/MA-01/MA-01-01/")
    }
    # A subject that looks like a formula is exported as text.
    assert all(row[1] == "'=HYPERLINK(1)" for row in rows[1:])


def test_ticket_export_keeps_the_inbox_filters(tickets, people, client):
    client.force_login(people["supervisor"])
    rows = _csv_rows(client.get(reverse("tickets-export", args=["csv"]), {"tab": "all", "unit": "MA-01-03"}))
    assert [row[0] for row in rows[1:]] == [tickets[3].reference]


def test_ticket_export_refuses_a_unit_outside_reach(tickets, people, client):
    client.force_login(people["observer"])
    assert client.get(reverse("tickets-export", args=["csv"]), {"unit": "MA-02"}).status_code == 404


def test_ticket_export_as_xlsx_holds_the_same_rows(tickets, people, client):
    client.force_login(people["observer"])
    response = client.get(reverse("tickets-export", args=["xlsx"]), {"tab": "all"})
    assert isinstance(response, FileResponse)
    workbook = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    for ticket in tickets:
        assert (ticket.reference in sheet) == ticket.origin_unit.path.startswith("/MEN/MA-01/MA-01-01/")


def test_dashboard_tables_export_to_csv_and_xlsx(tickets, people, client):
    first = Ticket.objects.order_by("filed_at").first().filed_at.astimezone(ZoneInfo("Africa/Casablanca"))
    rollup_range(first.date(), datetime.now(ZoneInfo("Africa/Casablanca")).date())
    client.force_login(people["observer"])
    rows = _csv_rows(client.get(reverse("dashboard-export", args=["MA-01-01", "csv"])))
    assert rows[0] == ["MA-01-01", people["observer"].memberships.get().unit.name]
    sections, current = [], []
    for row in rows[1:]:
        if row:
            current.append(row)
        else:
            sections.append(current)
            current = []
    sections.append(current)
    per_day, per_week, units = sections[0], sections[1], sections[-1]
    # Title, header, then the figures: the province's three tickets, by day and by week.
    assert sum(int(row[1]) for row in per_day[2:]) == 3
    assert sum(int(row[1]) for row in per_week[2:]) == 3
    assert {row[0] for row in units[2:]} == {"01001A", "01002B"} | {row[0] for row in units[2:]}
    response = client.get(reverse("dashboard-export", args=["MA-01-01", "xlsx"]))
    assert isinstance(response, FileResponse)
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert "xl/worksheets/sheet7.xml" in names


def test_the_ticket_export_gives_names_in_the_readers_language_not_codes(tickets, people, client):
    client.force_login(people["observer"])
    rows = _csv_rows(client.get(reverse("tickets-export", args=["csv"]), {"tab": "all"}))
    header, row = rows[0], rows[1]
    ticket = Ticket.objects.get(reference=row[0])
    with translation.override("ar"):
        expected = {
            "Category": str(ticket.category),
            "Origin unit": ticket.origin_unit.name_ar,
            "Origin unit code": ticket.origin_unit.code,
            "Level": str(ticket.desk.level.label),
            "Requester": ticket.requester.get_full_name(),
        }
        columns = {name: header.index(translation.gettext(name)) for name in expected}
    assert {name: row[column] for name, column in columns.items()} == expected
    assert row[header.index(translation.gettext("Filed"))].count(":") == 1  # 2026-11-25 14:05


def test_csv_is_separated_as_the_readers_spreadsheet_expects_or_as_asked(tickets, people, client):
    client.force_login(people["observer"])
    people["observer"].language = "fr"
    people["observer"].save(update_fields=["language"])
    french = b"".join(client.get(reverse("tickets-export", args=["csv"])).streaming_content).decode()
    assert french.splitlines()[0].startswith('\ufeff"Référence";"Objet";')
    asked = b"".join(client.get(reverse("tickets-export", args=["csv"]), {"sep": "comma"}).streaming_content)
    assert asked.decode().splitlines()[0].startswith('\ufeff"Référence","Objet",')


def test_the_xlsx_export_has_a_frozen_filtered_header_widths_and_real_dates(tickets, people, client):
    client.force_login(people["observer"])
    response = client.get(reverse("tickets-export", args=["xlsx"]), {"tab": "all"})
    sheet = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).read("xl/worksheets/sheet1.xml")
    sheet = sheet.decode()
    assert 'ySplit="1"' in sheet and "<autoFilter" in sheet and "<cols>" in sheet
    # The "Filed" column (K) of the first row holds a number with a date format, not text.
    filed = re.search(r'<c r="K2"([^>]*)><v>([^<]+)</v>', sheet)
    assert filed and 't="s"' not in filed.group(1) and float(filed.group(2)) > 40000
