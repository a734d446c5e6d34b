"""Canned replies: a desk's supervisors write them, the agents of that desk and of the desks below are
offered them (a central service's, every desk), in the reply form, inserted and edited before sending."""

import pytest
from django.urls import reverse

from musanada.core.errors import InvalidInput, NotFound
from musanada.tickets import canned, policy, services
from musanada.tickets.models import CannedReply
from tests.helpers import file_request


def _reply(author, unit, title, language="fr"):
    return canned.canned_reply_add(
        author, unit=unit, language=language, title=title, body=f"Texte : {title}."
    )


@pytest.fixture
def replies(people, units):
    """The academy's supervisor's reply, an administrator's for a central service and for another academy."""
    return {
        "academy": _reply(people["supervisor"], units["MA-01"], "Réinitialiser un mot de passe"),
        "service": _reply(people["admin"], units["MEN-MASSAR"], "Saisie des notes : vider le cache", "ar"),
        "other": _reply(people["admin"], units["MA-02"], "Autre académie"),
    }


def _offered(user, ticket) -> set:
    return {reply.title for reply in policy.canned_replies_for(user, ticket)}


def test_a_desk_is_offered_its_own_the_replies_above_it_and_the_central_services(people, replies):
    ticket = file_request(people["teacher"])
    expected = {replies["academy"].title, replies["service"].title}
    assert _offered(people["head"], ticket) == expected
    # Not the requester, not another academy's desk, not a reader who is not on the desk now.
    assert _offered(people["teacher"], ticket) == set()
    assert _offered(people["outsider_head"], ticket) == set()
    assert _offered(people["observer"], ticket) == set()


def test_the_readers_language_comes_first(people, replies):
    ticket = file_request(people["teacher"])
    people["head"].language = "ar"
    first = policy.canned_replies_for(people["head"], ticket).first()
    assert first == replies["service"]


def test_only_a_desks_supervisors_write_and_remove_its_replies(people, units, replies):
    with pytest.raises(InvalidInput):
        _reply(people["head"], units["01001A"], "Pas autorisé")
    with pytest.raises(InvalidInput):
        _reply(people["supervisor"], units["MA-02"], "Pas son académie")
    with pytest.raises(InvalidInput) as empty:
        canned.canned_reply_add(people["supervisor"], unit=units["MA-01"], language="fr", title=" ", body="x")
    assert empty.value.field == "title"
    with pytest.raises(NotFound):
        canned.canned_reply_remove(people["supervisor"], replies["other"].pk)
    canned.canned_reply_remove(people["supervisor"], replies["academy"].pk)
    assert not CannedReply.objects.filter(pk=replies["academy"].pk).exists()


def test_a_supervisor_writes_a_reply_on_the_page_and_an_agent_inserts_it_without_javascript(client, people):
    client.force_login(people["supervisor"])
    response = client.post(
        reverse("canned-replies"),
        {
            "unit": people["supervisor"].memberships.get().unit.pk,
            "language": "fr",
            "title": "Cache",
            "body": "Videz le cache.",
        },
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get(title="Cache")
    ticket = file_request(people["teacher"])
    client.force_login(people["head"])

    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assert f'<option value="{reply.pk}" data-text="Videz le cache.">' in page

    page = client.get(
        reverse("ticket-detail", args=[ticket.reference]), {"canned": reply.pk}
    ).content.decode()
    reply_form = page[page.index('id="action-reply"') :]
    assert "Videz le cache.</textarea>" in reply_form
    # Sent as edited: the canned text is only a start.
    services.ticket_reply(people["head"], ticket, body="Videz le cache, puis reconnectez-vous.")


def test_the_page_is_for_supervisors_and_refuses_bad_input_with_a_400(client, people):
    client.force_login(people["head"])
    assert client.get(reverse("canned-replies")).status_code == 404
    client.force_login(people["supervisor"])
    assert (
        client.post(reverse("canned-replies"), {"language": "fr", "title": "", "body": ""}).status_code == 400
    )
