"""Schools often have slow links: the ticket page and the inbox each weigh under 150 KB on a first visit
(empty cache), the document and every file the browser fetches for it counted.

Pages are compressed by the product (GZipMiddleware); the test server sends the static files uncompressed, so
they count here at their full size (in production whitenoise sends their compressed copies, a third of it)."""

import base64

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from musanada.tickets import services
from musanada.tickets.workflow import Priority
from tests.helpers import file_request

BUDGET = 150 * 1024
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def first_visit(site, username, path):
    """Load `path` in a fresh browser session; return the bytes received per URL (headers and body as sent,
    so compressed when the server compresses) and the total the Performance API reports."""
    page = site.signed_in_page(username)
    received = {}

    def count(request):
        sizes = request.sizes()
        received[request.url] = sizes["responseHeadersSize"] + sizes["responseBodySize"]

    page.on("requestfinished", count)
    response = page.goto(path, wait_until="networkidle")
    assert response.status == 200
    performance = page.evaluate(
        """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
            .reduce((total, entry) => total + entry.transferSize, 0)"""
    )
    return received, performance


def report(name, received, performance, record_property):
    total = sum(received.values())
    lines = [f"{name}: {total} bytes received ({total / 1024:.1f} KB), Performance API {performance} bytes"]
    lines += [f"  {size:>8}  {url}" for url, size in sorted(received.items(), key=lambda item: -item[1])]
    print("\n" + "\n".join(lines))
    record_property(f"{name}_bytes", total)
    return total


@pytest.fixture
def busy_desk(people, categories):
    """A full first page of open tickets at the school's desk; one long ticket referred to the province."""
    teacher, head = people["teacher"], people["head"]
    for number in range(settings.MUSANADA["PAGE_SIZE"]):
        file_request(
            teacher,
            category=categories["massar-absences" if number % 2 else "massar-grades"],
            subject=f"تعذر تسجيل غياب تلاميذ القسم {number}",
            description="لا تظهر لائحة التلاميذ في صفحة الغياب منذ تحديث المنظومة.",
            priority=Priority.NORMAL,
        )
    ticket = file_request(
        teacher,
        subject="تعذر إدخال نقط المراقبة المستمرة",
        description="لا يقبل النظام إدخال نقط القسم الثالث. " * 20,
        priority=Priority.NORMAL,
        files=[SimpleUploadedFile("capture.png", PNG, content_type="image/png")],
    )
    services.ticket_take(head, ticket)
    for turn in range(4):
        services.ticket_reply(head, ticket, body=f"هل جربتم متصفحا آخر؟ المحاولة {turn}. " * 5)
        services.ticket_reply(teacher, ticket, body=f"نعم، والمشكل ما زال قائما. {turn} " * 5)
        services.ticket_note(head, ticket, body=f"ملاحظة داخلية رقم {turn}: الحساب سليم. " * 3)
    services.ticket_request_info(head, ticket, body="ما هو رمز القسم؟")
    services.ticket_provide_info(teacher, ticket, body="القسم 3 إعدادي.")
    services.ticket_escalate(
        head,
        ticket,
        note="أعدت تشغيل المتصفح وتحققت من الحساب",
        category=categories["massar-grades"],
        priority=Priority.HIGH,
    )
    return ticket


def test_ticket_page_and_inbox_each_weigh_under_150_kb_on_a_first_visit(site, busy_desk, record_property):
    # The province's agent: the full history with internal notes, and every action form of a desk.
    received, performance = first_visit(site, "province", f"/t/{busy_desk.reference}/")
    ticket_page = report("ticket_page", received, performance, record_property)
    # The school head's desk: a full page of open tickets.
    received, performance = first_visit(site, "head", "/")
    inbox = report("inbox", received, performance, record_property)
    assert ticket_page < BUDGET and inbox < BUDGET
