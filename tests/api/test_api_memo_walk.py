"""The memo walk, entirely over the API by five token holders, ends as the same walk through the services."""

from musanada.tickets import services
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Priority
from tests.helpers import file_request

SUBJECT = "تعذر إدخال النقط"
DESCRIPTION = "لا يقبل النظام إدخال نقط المراقبة المستمرة للقسم 3."
REQUALIFIED_SUBJECT = "إدخال نقط المراقبة المستمرة"
NOTES = {
    "head": "أعدت تشغيل المتصفح ولم ينجح",
    "province": "المشكل عام في الإقليم",
    "region": "يتطلب تدخل المصلحة المركزية",
}
RESOLUTION = "تم تصحيح الخلل في الخادم."


def walk_through_services(people, categories) -> Ticket:
    """The walk of tests/test_memo_walk.py, step for step."""
    ticket = file_request(
        people["teacher"], subject=SUBJECT, description=DESCRIPTION, priority=Priority.NORMAL
    )
    services.ticket_take(people["head"], ticket)
    services.ticket_escalate(
        people["head"],
        ticket,
        note=NOTES["head"],
        category=categories["massar-grades"],
        priority=Priority.HIGH,
        subject=REQUALIFIED_SUBJECT,
    )
    services.ticket_escalate(people["province"], ticket, note=NOTES["province"])
    services.ticket_escalate(people["region"], ticket, note=NOTES["region"])
    services.ticket_resolve(people["central"], ticket, resolution=RESOLUTION)
    services.ticket_close(people["teacher"], ticket)
    return ticket


def history(ticket: Ticket) -> list:
    """What each event says, without its time and with the channel left aside (web or API)."""
    rows = []
    for event in ticket.events.select_related("actor"):
        data = {key: value for key, value in event.data.items() if key != "channel"}
        rows.append((event.kind, event.actor.username, event.public, event.body, data))
    return rows


def test_memo_walk_over_the_api_ends_with_the_same_history_as_through_the_services(api, people, categories):
    teacher, head, province, region, central = (
        api[name] for name in ("teacher", "head", "province", "region", "central")
    )
    filed = teacher.post(
        "/tickets",
        {"unit": "01001A", "category": "massar", "subject": SUBJECT, "description": DESCRIPTION},
    )
    assert filed.status_code == 201, filed.content
    reference = filed.json()["reference"]
    assert filed["Location"] == f"/api/v1/tickets/{reference}"
    assert filed.json()["desk"]["code"] == "01001A" and filed.json()["channel"] == "api"

    seen = head.get(f"/tickets/{reference}").json()
    assert "take" in seen["actions"] and "escalate" in seen["actions"]
    taken = head.post(f"/tickets/{reference}/take", {"version": seen["version"]})
    assert taken.status_code == 200 and taken.json()["assignee"] == "head"

    escalated = head.post(
        f"/tickets/{reference}/escalate",
        {
            "version": taken.json()["version"],
            "note": NOTES["head"],
            "category": "massar-grades",
            "priority": "high",
            "subject": REQUALIFIED_SUBJECT,
        },
    )
    assert escalated.status_code == 200, escalated.content
    assert escalated.json()["desk"]["code"] == "MA-01-01" and escalated.json()["status"] == "new"

    for caller, name, next_desk in ((province, "province", "MA-01"), (region, "region", "MEN-MASSAR")):
        version = caller.get(f"/tickets/{reference}").json()["version"]
        moved = caller.post(f"/tickets/{reference}/escalate", {"version": version, "note": NOTES[name]})
        assert moved.status_code == 200, moved.content
        assert moved.json()["desk"]["code"] == next_desk

    resolved = central.post(f"/tickets/{reference}/resolve", {"resolution": RESOLUTION})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"

    mine = teacher.get(f"/tickets/{reference}").json()
    assert mine["actions"] == ["close", "reopen", "rate"]
    closed = teacher.post(f"/tickets/{reference}/close", {"version": mine["version"]})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    over_api = Ticket.objects.get(reference=reference)
    through_services = walk_through_services(people, categories)
    assert history(over_api) == history(through_services)
    assert (over_api.status, over_api.desk, over_api.category, over_api.priority, over_api.subject) == (
        through_services.status,
        through_services.desk,
        through_services.category,
        through_services.priority,
        through_services.subject,
    )
    # The teacher reads the public side only; every desk that held it reads the internal notes written until
    # it let the ticket go: the school its own requalification, the province two, the academy and the
    # central service all three.
    teacher_kinds = [event["kind"] for event in teacher.get(f"/tickets/{reference}").json()["events"]]
    assert (
        "requalified" not in teacher_kinds and teacher_kinds[0] == "filed" and teacher_kinds[-1] == "closed"
    )
    for caller, requalified in ((head, 1), (province, 2), (region, 3), (central, 3)):
        kinds = [event["kind"] for event in caller.get(f"/tickets/{reference}").json()["events"]]
        assert kinds.count("requalified") == requalified


def test_every_action_endpoint_the_memo_does_not_walk_obeys_the_same_rules_as_the_web(api, people):
    teacher, head = api["teacher"], api["head"]
    reference = teacher.post(
        "/tickets", {"category": "massar", "subject": "Bulletins", "description": "Impression impossible"}
    ).json()["reference"]

    assert head.post(f"/tickets/{reference}/note", {"body": "Vu avec le fournisseur"}).status_code == 200
    assert head.post(f"/tickets/{reference}/assign", {"assignee": "head"}).json()["assignee"] == "head"
    asked = head.post(f"/tickets/{reference}/request-info", {"body": "Quel navigateur ?"})
    assert asked.json()["status"] == "waiting"
    assert teacher.get(f"/tickets/{reference}").json()["actions"] == ["provide-info", "attach"]
    answered = teacher.post(f"/tickets/{reference}/provide-info", {"body": "Firefox"})
    assert answered.json()["status"] == "open"
    assert head.post(f"/tickets/{reference}/reply", {"body": "Essayez Chrome"}).status_code == 200
    assert teacher.post(f"/tickets/{reference}/reply", {"body": "Merci"}).status_code == 200
    resolved = head.post(f"/tickets/{reference}/resolve", {"resolution": "Navigateur mis à jour"})
    assert resolved.json()["status"] == "resolved"
    reopened = teacher.post(f"/tickets/{reference}/reopen", {"reason": "Toujours bloqué"})
    assert reopened.json()["status"] == "open"
    head.post(f"/tickets/{reference}/resolve", {"resolution": "Cache vidé"})
    rated = teacher.post(f"/tickets/{reference}/rate", {"score": 4, "comment": "Rapide"})
    assert rated.json()["rating"] == 4 and "rate" not in rated.json()["actions"]

    teacher_view = [event["kind"] for event in teacher.get(f"/tickets/{reference}").json()["events"]]
    assert "note" not in teacher_view and "assigned" not in teacher_view
    head_view = [event["kind"] for event in head.get(f"/tickets/{reference}").json()["events"]]
    assert head_view == [
        "filed",
        "note",
        "assigned",
        "info_requested",
        "info_provided",
        "reply",
        "reply",
        "resolved",
        "reopened",
        "resolved",
        "rated",
    ]


def test_return_and_transfer_move_the_ticket_like_on_the_web(api, people):
    reference = (
        api["teacher"]
        .post("/tickets", {"category": "massar", "subject": "Emploi du temps", "description": "Erreur 500"})
        .json()["reference"]
    )
    api["head"].post(f"/tickets/{reference}/escalate", {"note": "Rien trouvé"})
    returned = api["province"].post(f"/tickets/{reference}/return", {"instructions": "Videz le cache"})
    assert returned.status_code == 200 and returned.json()["desk"]["code"] == "01001A"

    central_ticket = file_request(people["central"])
    moved = api["central"].post(
        f"/tickets/{central_ticket.reference}/transfer", {"to_desk": "MEN-ACCOUNTS", "note": "Comptes"}
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["desk"]["code"] == "MEN-ACCOUNTS"
