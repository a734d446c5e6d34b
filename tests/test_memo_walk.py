"""One ticket walked through the memo, from a school to the central service, and resolved at each level."""

from musanada.tickets import selectors, services
from musanada.tickets.models import Event
from musanada.tickets.workflow import EventKind, Priority, Status
from tests.helpers import file_request


def test_teacher_request_goes_from_school_to_central_service_and_back_to_closed(people, units, categories):
    ticket = file_request(
        people["teacher"],
        subject="تعذر إدخال النقط",
        description="لا يقبل النظام إدخال نقط المراقبة المستمرة للقسم 3.",
        priority=Priority.NORMAL,
    )
    assert ticket.reference.startswith("MSN-")
    assert ticket.desk == units["01001A"] and ticket.status == Status.NEW

    services.ticket_take(people["head"], ticket)
    services.ticket_escalate(
        people["head"],
        ticket,
        note="أعدت تشغيل المتصفح ولم ينجح",
        category=categories["massar-grades"],
        priority=Priority.HIGH,
        subject="إدخال نقط المراقبة المستمرة",
    )
    assert ticket.desk == units["MA-01-01"] and ticket.status == Status.NEW and ticket.assignee is None

    services.ticket_escalate(people["province"], ticket, note="المشكل عام في الإقليم")
    assert ticket.desk == units["MA-01"]

    services.ticket_escalate(people["region"], ticket, note="يتطلب تدخل المصلحة المركزية")
    assert ticket.desk == units["MEN-MASSAR"]

    services.ticket_resolve(people["central"], ticket, resolution="تم تصحيح الخلل في الخادم.")
    assert ticket.status == Status.RESOLVED

    services.ticket_close(people["teacher"], ticket)
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None

    history = list(ticket.events.select_related("actor"))
    assert [(e.kind, e.actor.username) for e in history] == [
        (EventKind.FILED, "teacher"),
        (EventKind.ASSIGNED, "head"),
        (EventKind.REQUALIFIED, "head"),
        (EventKind.ESCALATED, "head"),
        (EventKind.REQUALIFIED, "province"),
        (EventKind.ESCALATED, "province"),
        (EventKind.REQUALIFIED, "region"),
        (EventKind.ESCALATED, "region"),
        (EventKind.RESOLVED, "central"),
        (EventKind.CLOSED, "teacher"),
    ]
    requalified = history[2]
    assert requalified.data["changes"] == {
        "category": ["massar", "massar-grades"],
        "priority": ["normal", "high"],
        "subject": ["تعذر إدخال النقط", "إدخال نقط المراقبة المستمرة"],
    }
    assert requalified.body == "أعدت تشغيل المتصفح ولم ينجح"
    assert [e.data["to"]["code"] for e in history if e.kind == EventKind.ESCALATED] == [
        "MA-01-01",
        "MA-01",
        "MEN-MASSAR",
    ]
    assert all(e.created_at is not None for e in history)
    # Every desk that held it keeps read access; the teacher never sees the internal requalification notes.
    for username in ("head", "province", "region", "central"):
        assert selectors.ticket_get_for(people[username], ticket.reference) == ticket
    teacher_kinds = [e.kind for e in Event.objects.filter(ticket=ticket, public=True)]
    assert EventKind.REQUALIFIED not in teacher_kinds
