"""A request filed twice is merged into the one it repeats; related requests are linked. Through the services,
the ticket page and the API, with what each person then reads (docs/workflow.md, "Duplicates and related
requests")."""

import pytest
from django.urls import reverse

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.notifications.models import Notification, NotificationKind
from musanada.sla.models import LevelVisit, VisitOutcome
from musanada.tickets import policy, selectors, services
from musanada.tickets.models import Event, TicketLink
from musanada.tickets.workflow import EventKind, Status
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD
from tests.helpers import file_request


def _history(user, ticket) -> list[str]:
    return [event.kind for event in policy.visible_events(user, ticket)]


def test_a_duplicate_is_closed_into_the_request_it_repeats_and_the_requester_is_told(people):
    first = file_request(people["teacher"], subject="Massar bloqué")
    again = file_request(people["teacher"], subject="Massar bloqué (bis)")
    services.ticket_merge(
        people["head"], again, into=first.reference.lower(), note="Nous suivons la première."
    )
    again.refresh_from_db()
    first.refresh_from_db()
    assert again.status == Status.CLOSED and again.closed_at is not None
    assert first.status == Status.NEW  # the other one goes on
    # The requester reads both sides, with the desk's message; the two are linked.
    merged = Event.objects.get(ticket=again, kind=EventKind.MERGED)
    assert (
        merged.public
        and merged.body == "Nous suivons la première."
        and merged.data == {"into": first.reference}
    )
    assert EventKind.MERGED_IN in _history(people["teacher"], first)
    assert selectors.related_tickets(people["teacher"], again) == [first]
    assert Notification.objects.filter(user=people["teacher"], kind=NotificationKind.MERGED).exists()
    # The duplicate's clock at the school stops as merged, not resolved.
    visit = LevelVisit.objects.get(ticket=again)
    assert visit.outcome == VisitOutcome.MERGED and visit.left_at is not None


@pytest.mark.parametrize(
    ("into", "code"),
    [
        ("other requester", ErrorCode.NOT_SAME_REQUESTER),
        ("itself", ErrorCode.INVALID_TICKET),
        ("closed", ErrorCode.INVALID_TICKET),
        ("another academy", ErrorCode.INVALID_TICKET),
        ("MSN-1999-999999", ErrorCode.INVALID_TICKET),
    ],
)
def test_merging_into_what_is_not_a_live_request_of_the_same_person_changes_nothing(people, into, code):
    # At the province: the teacher's requests referred there, and the head's own (filed with the province).
    province = people["province"]

    def referred():
        ticket = file_request(people["teacher"])
        services.ticket_escalate(people["head"], ticket, note="Rien à faire ici.")
        return ticket

    ticket, closed = referred(), referred()
    services.ticket_resolve(province, closed, resolution="Fait.")
    services.ticket_close(people["teacher"], closed)
    targets = {
        "other requester": file_request(people["head"], unit=ticket.origin_unit).reference,
        "itself": ticket.reference,
        "closed": closed.reference,
        # A request the province may not see answers like one that does not exist.
        "another academy": file_request(people["outsider_teacher"]).reference,
    }
    ticket.refresh_from_db()
    before = (ticket.version, Event.objects.filter(ticket=ticket).count())
    with pytest.raises(InvalidInput) as refused:
        services.ticket_merge(province, ticket, into=targets.get(into, into))
    assert (refused.value.code, refused.value.field) == (code, "into")
    ticket.refresh_from_db()
    assert (ticket.version, Event.objects.filter(ticket=ticket).count()) == before
    assert ticket.status == Status.NEW and not TicketLink.objects.exists()


def test_linked_requests_of_two_people_stay_each_their_own(people):
    # The teacher's request referred to the province, and the head's own (a head files with the province).
    mine = file_request(people["teacher"], subject="Lenteur de Massar")
    services.ticket_escalate(people["head"], mine, note="Rien à faire ici.")
    theirs = file_request(people["head"], unit=mine.origin_unit, subject="Massar très lent")
    province = people["province"]
    services.ticket_link(province, mine, to=theirs.reference)
    # The desk reads the link on both; each requester reads nothing of the other's request.
    assert selectors.related_tickets(province, mine) == [theirs]
    assert selectors.related_tickets(province, theirs) == [mine]
    assert selectors.related_tickets(people["teacher"], mine) == []
    # The head, requester of theirs, is offered only what they read anyway (their school held the other).
    assert selectors.related_tickets(people["head"], theirs) == [mine]
    assert EventKind.LINKED not in _history(people["head"], theirs)
    assert EventKind.LINKED in _history(province, theirs)
    with pytest.raises(InvalidInput) as twice:
        services.ticket_link(province, theirs, to=mine.reference)
    assert twice.value.code == ErrorCode.ALREADY_LINKED


def test_a_request_one_only_filed_is_not_one_to_tie_to_others(people):
    # The head reads their own request (at the province) only as its requester.
    mine = file_request(people["teacher"])
    own = file_request(people["head"], unit=mine.origin_unit)
    with pytest.raises(InvalidInput) as refused:
        services.ticket_link(people["head"], mine, to=own.reference)
    assert refused.value.code == ErrorCode.INVALID_TICKET
    assert not TicketLink.objects.exists()


def test_the_ticket_page_offers_merge_and_link_and_shows_the_related_requests(client, people):
    first = file_request(people["teacher"], subject="Massar bloqué")
    again = file_request(people["teacher"], subject="Massar bloqué (bis)")
    client.login(username="head", password=PASSWORD)
    client.post(reverse("set-language"), {"language": "en", "next": "/"})
    page = client.get(reverse("ticket-detail", args=[again.reference])).content.decode()
    assert 'id="action-merge"' in page and 'id="action-link"' in page
    answer = client.post(
        reverse("ticket-act", args=[again.reference, "merge"]),
        {"into": first.reference, "note": "", "version": again.version},
        follow=True,
    )
    assert "The request was merged; the other one goes on." in answer.content.decode()
    page = client.get(reverse("ticket-detail", args=[first.reference])).content.decode()
    assert 'id="ticket-related"' in page and again.reference in page
    assert f"{again.reference}, a repeat of this request, was merged into it" in page
    # A reference nobody can see is refused beside the field, and nothing changes.
    other = file_request(people["teacher"])
    refused = client.post(
        reverse("ticket-act", args=[other.reference, "link"]),
        {"to": "MSN-1999-999999", "version": other.version},
    )
    assert refused.status_code == 400
    assert "No request with this reference among those your desks read." in refused.content.decode()


def test_the_api_merges_and_links_by_reference(people):
    from musanada.api.services import token_create

    first = file_request(people["teacher"])
    again = file_request(people["teacher"])
    head = ApiClient(token_create(people["head"], name="tests")[1])
    merged = head.post(
        f"/tickets/{again.reference}/merge", {"into": first.reference, "version": again.version}
    )
    assert merged.status_code == 200 and merged.json()["status"] == "closed"
    refused = head.post(f"/tickets/{first.reference}/link", {"to": first.reference})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_ticket"
    teacher = ApiClient(token_create(people["teacher"], name="tests")[1])
    forbidden = teacher.post(f"/tickets/{first.reference}/link", {"to": again.reference})
    assert forbidden.status_code == 403
