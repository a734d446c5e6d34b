"""Bulk actions from a list: each checked request goes through its own service; what is refused is reported
with its reason and changes nothing, and input that is wrong for all of them stops the whole batch."""

import pytest
from django.urls import reverse
from django.utils import translation

from musanada.core.errors import ErrorCode, InvalidInput
from musanada.tickets import bulk
from musanada.tickets.models import Event, Ticket
from musanada.tickets.workflow import Action, EventKind, Status
from musanada.web.forms import BulkForm
from tests.helpers import file_request

NOTE = "Réinitialisation du mot de passe essayée ; le compte reste bloqué."


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_head_takes_the_checked_requests_and_is_told_which_one_was_refused(client, people):
    mine = [file_request(people["teacher"]) for _ in range(2)]
    elsewhere = file_request(people["outsider_teacher"])
    client.force_login(people["head"])
    inbox = client.get(reverse("home"), {"tab": "desk"}).content.decode()
    assert f'name="tickets" value="{mine[0].reference}"' in inbox and 'id="bulk"' in inbox

    response = client.post(
        reverse("bulk-act"),
        {
            "action": "take",
            "tickets": [mine[0].reference, mine[1].reference, elsewhere.reference],
            "next": "/?tab=desk",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/?tab=desk"
    for ticket in mine:
        ticket.refresh_from_db()
        assert ticket.assignee == people["head"] and ticket.status == Status.OPEN
    assert Ticket.objects.get(pk=elsewhere.pk).assignee is None
    with translation.override("ar"):
        said = messages_of(response)
    assert any(str(len(mine)) in message and str(Action.TAKE.label) in message for message in said)
    assert any(elsewhere.reference in message for message in said)


def test_a_bulk_referral_requires_the_note_and_changes_nothing_without_it(client, people):
    tickets = [file_request(people["teacher"]) for _ in range(2)]
    client.force_login(people["head"])
    references = [ticket.reference for ticket in tickets]

    refused = client.post(
        reverse("bulk-act"), {"action": "escalate", "tickets": references, "text": "  "}, follow=True
    )
    assert all(
        ticket.desk.code == "01001A" for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets])
    )
    assert not Event.objects.filter(kind=EventKind.ESCALATED).exists()
    assert refused.status_code == 200 and len(messages_of(refused)) == 1

    client.post(reverse("bulk-act"), {"action": "escalate", "tickets": references, "text": NOTE})

    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]).select_related("desk"):
        assert ticket.desk.code == "MA-01-01" and ticket.category.code == "massar"
        assert Event.objects.get(ticket=ticket, kind=EventKind.REQUALIFIED).body == NOTE


def test_a_bulk_resolution_reaches_each_requester_and_assigning_names_a_colleague(client, people):
    first, second = file_request(people["teacher"]), file_request(people["teacher"])
    client.force_login(people["head"])

    client.post(
        reverse("bulk-act"),
        {"action": "assign", "tickets": [first.reference], "assignee": people["head"].pk},
        follow=True,
    )
    first.refresh_from_db()
    assert first.assignee == people["head"]
    # Someone who works no desk of the head's is not a choice.
    stranger = client.post(
        reverse("bulk-act"),
        {"action": "assign", "tickets": [second.reference], "assignee": people["province"].pk},
        follow=True,
    )
    assert Ticket.objects.get(pk=second.pk).assignee is None
    with translation.override("ar"):
        assert messages_of(stranger) == [
            str(BulkForm.base_fields["assignee"].error_messages["invalid_choice"])
        ]

    client.post(
        reverse("bulk-act"),
        {"action": "resolve", "tickets": [first.reference, second.reference], "text": "أعيد فتح الحساب."},
    )
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED
        assert Event.objects.get(ticket=ticket, kind=EventKind.RESOLVED).body == "أعيد فتح الحساب."


def test_a_requester_has_no_bulk_form_and_may_not_act_through_it(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["teacher"])
    assert 'id="bulk"' not in client.get(reverse("home")).content.decode()

    response = client.post(
        reverse("bulk-act"), {"action": "take", "tickets": [ticket.reference]}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.version == 1
    assert any(ticket.reference in message for message in messages_of(response))


def test_closing_and_other_actions_are_not_done_in_bulk_and_a_batch_is_one_page_at_most(people, settings):
    ticket = file_request(people["teacher"])
    with pytest.raises(InvalidInput) as close:
        bulk.bulk_act(people["head"], [ticket.reference], Action.CLOSE)
    assert close.value.field == "action"
    with pytest.raises(InvalidInput) as none:
        bulk.bulk_act(people["head"], ["", " "], Action.TAKE)
    assert none.value.code == ErrorCode.REQUIRED
    settings.MUSANADA = {**settings.MUSANADA, "PAGE_SIZE": 2}
    with pytest.raises(InvalidInput) as many:
        bulk.bulk_act(people["head"], ["MSN-2026-000001", "MSN-2026-000002", "MSN-2026-000003"], Action.TAKE)
    assert many.value.code == ErrorCode.TOO_MANY_TICKETS
    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_the_bulk_form_goes_back_only_to_a_page_of_this_site(client, people):
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])
    response = client.post(
        reverse("bulk-act"),
        {"action": "take", "tickets": [ticket.reference], "next": "https://evil.example/"},
    )
    assert response.url == reverse("home")
