"""Notifications in the product: who is told of what, created with the action, and read through the bell.

Expected texts are taken through gettext in the page's language, so that these tests hold before and after
the translations are filled in.
"""

import re

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from musanada.core.errors import Conflict, Forbidden, IllegalTransition
from musanada.notifications import context_processors, selectors
from musanada.notifications.models import Notification
from musanada.notifications.models import NotificationKind as N
from musanada.notifications.recipients import recipients_for
from musanada.notifications.selectors import BELL_CAP, unread_count
from musanada.org.models import Membership, Role
from musanada.org.services import membership_grant
from musanada.tickets import services
from musanada.tickets.events import describe
from musanada.tickets.models import Event
from musanada.tickets.workflow import EventKind
from tests.helpers import file_request

OUTSIDERS = ("outsider", "outsider_head", "outsider_teacher")


def _last_id() -> int:
    return Notification.objects.aggregate(last=Max("id"))["last"] or 0


def told(action) -> list[tuple]:
    """Run one action and return who it notified of what, as (username, kind), sorted."""
    mark = _last_id()
    action()
    return sorted(
        (n.user.username, n.kind) for n in Notification.objects.filter(pk__gt=mark).select_related("user")
    )


def fresh(user):
    # A new object per request, as in a real view: the policy's per-user cache starts empty.
    return type(user).objects.get(pk=user.pk)


def bell_label(count: int, language="ar") -> str:
    with translation.override(language):
        text = ngettext("Notifications: %(counter)s unread", "Notifications: %(counter)s unread", count)
        return escape(text % {"counter": count})


# Who is told of what ----------------------------------------------------------------------------------


def test_the_memo_walk_tells_each_party_what_concerns_them_and_nobody_else(people, categories):
    p = people
    ticket = None

    def file():
        nonlocal ticket
        ticket = file_request(people["teacher"])

    assert told(file) == [("head", N.NEW_TICKET)]
    assert told(lambda: services.ticket_take(p["head"], ticket)) == []
    assert told(lambda: services.ticket_reply(p["head"], ticket, body="هل جربت متصفحا آخر؟")) == [
        ("teacher", N.REPLY)
    ]
    assert told(lambda: services.ticket_note(p["head"], ticket, body="مشكل معروف")) == []
    assert told(lambda: services.ticket_request_info(p["head"], ticket, body="ما رقم القسم؟")) == [
        ("teacher", N.INFO_REQUESTED)
    ]
    assert told(lambda: services.ticket_provide_info(p["teacher"], ticket, body="القسم 3")) == [
        ("head", N.INFO_PROVIDED)
    ]
    assert told(lambda: services.ticket_reply(p["teacher"], ticket, body="شكرا")) == [("head", N.REPLY)]
    # The school head refers it: the province's agent is told, not its observer, not the teacher.
    assert told(
        lambda: services.ticket_escalate(
            p["head"], ticket, note="أعدت المحاولة", category=categories["massar-grades"]
        )
    ) == [("province", N.NEW_TICKET)]
    assert told(lambda: services.ticket_escalate(p["province"], ticket, note="عام في الإقليم")) == [
        ("region", N.NEW_TICKET),
        ("supervisor", N.NEW_TICKET),
    ]
    assert told(lambda: services.ticket_escalate(p["region"], ticket, note="يتطلب المصلحة المركزية")) == [
        ("central", N.NEW_TICKET)
    ]
    # Nobody holds it at the central service yet: the requester's reply goes to every agent there.
    assert told(lambda: services.ticket_reply(p["teacher"], ticket, body="هل من جديد؟")) == [
        ("central", N.REPLY)
    ]
    assert told(lambda: services.ticket_resolve(p["central"], ticket, resolution="تم التصحيح.")) == [
        ("teacher", N.RESOLVED)
    ]
    assert told(lambda: services.ticket_reopen(p["teacher"], ticket, reason="ما زال المشكل")) == [
        ("central", N.REOPENED)
    ]
    assert told(lambda: services.ticket_resolve(p["central"], ticket, resolution="تم فعلا.")) == [
        ("teacher", N.RESOLVED)
    ]
    assert told(lambda: services.ticket_close(p["teacher"], ticket)) == []
    assert told(lambda: services.ticket_rate(p["teacher"], ticket, score=5)) == []

    assert not Notification.objects.filter(user__username__in=OUTSIDERS + ("observer", "head2")).exists()
    # Each notification points at the event that caused it, on the ticket it is about.
    for notification in Notification.objects.select_related("event"):
        assert notification.ticket_id == ticket.pk == notification.event.ticket_id
    teacher_events = Event.objects.filter(
        pk__in=Notification.objects.filter(user=p["teacher"]).values("event")
    )
    assert all(event.public for event in teacher_events)


def test_nobody_is_told_of_their_own_action(people):
    # A central agent files on their own service's desk: they are its only agent, so nobody is told.
    assert told(lambda: file_request(people["central"])) == []
    ticket = file_request(people["teacher"])
    services.ticket_take(people["head"], ticket)
    assert not Notification.objects.filter(user=people["teacher"]).exists()
    assert not Notification.objects.filter(event__actor=people["head"], user=people["head"]).exists()


def test_the_requester_is_never_told_of_an_internal_event(people):
    ticket = file_request(people["teacher"])
    services.ticket_escalate(people["head"], ticket, note="يتجاوز المؤسسة")

    # A return is internal: the school desk is told, the teacher is not.
    assert told(
        lambda: services.ticket_return(people["province"], ticket, instructions="أعد ضبط الحساب")
    ) == [("head", N.NEW_TICKET)]
    # Whatever the kind, an internal event leaves the requester out.
    internal = Event(ticket=ticket, kind=EventKind.RESOLVED, actor=people["head"], public=False, data={})
    assert recipients_for(internal) == []
    public = Event(ticket=ticket, kind=EventKind.RESOLVED, actor=people["head"], public=True, data={})
    assert recipients_for(public) == [(people["teacher"], N.RESOLVED)]


def test_the_assignee_is_told_instead_of_the_whole_desk(people, units):
    membership_grant(people["province2"], units["MA-01-01"], Role.AGENT)
    ticket = file_request(people["teacher"])
    assert told(lambda: services.ticket_escalate(people["head"], ticket, note="يتجاوز المؤسسة")) == [
        ("province", N.NEW_TICKET),
        ("province2", N.NEW_TICKET),
    ]

    assert told(lambda: services.ticket_assign(people["province"], ticket, assignee=people["province2"])) == [
        ("province2", N.ASSIGNED)
    ]
    assert told(lambda: services.ticket_reply(people["teacher"], ticket, body="أي جديد؟")) == [
        ("province2", N.REPLY)
    ]


def test_a_transfer_tells_the_receiving_central_service(people, units):
    ticket = file_request(people["central"])

    assert told(
        lambda: services.ticket_transfer(
            people["central"], ticket, to_desk=units["MEN-ACCOUNTS"], note="من اختصاص الحسابات"
        )
    ) == [("central2", N.NEW_TICKET)]


def test_a_request_sent_past_an_empty_desk_tells_the_desk_above_once(people, units):
    # School 01301C has no head with an account: the request goes up to its province.
    membership_grant(people["teacher"], units["01301C"], Role.STAFF)

    assert told(lambda: file_request(people["teacher"], units["01301C"])) == [("province2", N.NEW_TICKET)]
    notification = Notification.objects.get(user=people["province2"])
    assert notification.event.kind == EventKind.FILED


def test_a_refused_action_creates_no_notification(people):
    ticket = file_request(people["teacher"])
    stale = ticket.version
    services.ticket_take(people["head"], ticket)
    before = Notification.objects.count()

    with pytest.raises(Forbidden):
        services.ticket_resolve(people["teacher"], ticket, resolution="حللته بنفسي")
    with pytest.raises(IllegalTransition):
        services.ticket_provide_info(people["teacher"], ticket, body="معلومة لم تطلب")
    with pytest.raises(Conflict):
        services.ticket_reply(people["head"], ticket, body="رد متأخر", version=stale)

    assert Notification.objects.count() == before


def test_notifications_are_undone_with_the_action_that_made_them(people):
    ticket = file_request(people["teacher"])
    before = Notification.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_reply(people["head"], ticket, body="رد")
        raise RuntimeError("the request failed after the service returned")

    assert Notification.objects.count() == before


def test_another_academy_gets_nothing_of_a_walk_in_this_one(people):
    ticket = file_request(people["teacher"])
    services.ticket_escalate(people["head"], ticket, note="يتجاوز المؤسسة")
    services.ticket_escalate(people["province"], ticket, note="يتجاوز الإقليم")
    services.ticket_resolve(people["region"], ticket, resolution="تم")

    for username in OUTSIDERS:
        assert unread_count(fresh(people[username])) == 0
    assert not Notification.objects.filter(user__username__in=OUTSIDERS).exists()


# The bell and the page ---------------------------------------------------------------------------------


@pytest.fixture
def answered(people):
    """A teacher's request that the school head answered, then asked information about."""
    ticket = file_request(people["teacher"])
    services.ticket_reply(people["head"], ticket, body="سنراجع الأمر")
    services.ticket_request_info(people["head"], ticket, body="ما رقم القسم؟")
    return ticket


def test_the_bell_shows_the_unread_count_to_screen_readers_too(client, people, answered):
    client.force_login(people["teacher"])

    page = client.get(reverse("home")).content.decode()

    assert f'aria-label="{bell_label(2)}"' in page
    assert f'href="{reverse("notifications:list")}"' in page
    assert re.search(r'<span class="count">2</span>', page)
    # htmx may refresh it in place; without JavaScript it is a plain link.
    assert f'hx-get="{reverse("notifications:bell")}"' in page


def test_the_bell_fragment_answers_the_current_count(client, people, answered):
    client.force_login(people["head"])
    assert f'aria-label="{bell_label(1)}"' in client.get(reverse("notifications:bell")).content.decode()


def test_a_visitor_who_is_not_signed_in_has_no_bell_and_no_list(client, people):
    assert client.get(reverse("notifications:list")).status_code == 302
    assert 'id="bell"' not in client.get(reverse("login")).content.decode()
    # A page left open after signing out: the refresh says "stop polling" rather than redirecting.
    response = client.get(reverse("notifications:bell"), headers={"HX-Request": "true"})
    assert response.status_code == 286 and response.content == b""


def test_the_list_shows_newest_first_each_described_and_linked_to_its_ticket(client, people, answered):
    client.force_login(people["teacher"])

    page = client.get(reverse("notifications:list")).content.decode()

    info, reply = Notification.objects.filter(user=people["teacher"]).order_by("-created_at", "-id")
    with translation.override("ar"):
        texts = [escape(describe(info.event)), escape(describe(reply.event))]
        kinds = [escape(str(N.INFO_REQUESTED.label)), escape(str(N.REPLY.label))]
    assert page.index(kinds[0]) < page.index(kinds[1])
    assert all(text in page for text in texts)
    assert f'href="{reverse("ticket-detail", args=[answered.reference])}"' in page
    assert f'action="{reverse("notifications:open", args=[info.pk])}"' in page


def test_marking_one_notification_read_lowers_the_count(client, people, answered):
    client.force_login(people["teacher"])
    notification = Notification.objects.filter(user=people["teacher"]).first()

    response = client.post(reverse("notifications:read", args=[notification.pk]))

    assert response.status_code == 302 and response.url == reverse("notifications:list")
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread_count(fresh(people["teacher"])) == 1
    assert f'aria-label="{bell_label(1)}"' in client.get(reverse("home")).content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_ticket(client, people, answered):
    client.force_login(people["teacher"])
    notification = Notification.objects.filter(user=people["teacher"]).first()

    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None

    response = client.post(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response.url == reverse("ticket-detail", args=[answered.reference])
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_a_ticket_marks_its_notifications_read_and_no_others(client, people, answered):
    other = file_request(people["teacher"])
    services.ticket_reply(people["head"], other, body="Nous regardons.")
    assert unread_count(fresh(people["teacher"])) == 3
    client.force_login(people["teacher"])

    client.get(reverse("ticket-detail", args=[answered.reference]))

    assert unread_count(fresh(people["teacher"])) == 1
    assert Notification.objects.get(user=people["teacher"], read_at__isnull=True).ticket == other


def test_mark_all_as_read_empties_the_bell(client, people, answered):
    client.force_login(people["teacher"])

    response = client.post(reverse("notifications:read-all"))

    assert response.status_code == 302
    assert unread_count(fresh(people["teacher"])) == 0
    assert f'aria-label="{bell_label(0)}"' in client.get(reverse("home")).content.decode()
    # Someone else's stay as they were.
    assert unread_count(fresh(people["head"])) == 1


def test_nobody_can_read_or_open_someone_elses_notification(client, people, answered):
    notification = Notification.objects.filter(user=people["teacher"]).first()
    for username in ("head", "outsider"):
        client.force_login(people[username])
        assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
        assert client.post(reverse("notifications:open", args=[notification.pk])).status_code == 404
        page = client.get(reverse("notifications:list")).content.decode()
        assert reverse("notifications:open", args=[notification.pk]) not in page
    assert answered.reference not in page
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_notification_on_a_ticket_no_longer_visible_is_neither_listed_nor_counted(client, people):
    ticket = file_request(people["teacher"])
    services.ticket_escalate(people["head"], ticket, note="يتجاوز المؤسسة")
    notification = Notification.objects.get(user=people["province"])
    # The provincial agent leaves the desk: the tickets it held are out of their sight, so are the news.
    Membership.objects.filter(user=people["province"]).update(is_active=False)
    client.force_login(people["province"])

    assert unread_count(fresh(people["province"])) == 0
    assert ticket.reference not in client.get(reverse("notifications:list")).content.decode()
    assert client.post(reverse("notifications:open", args=[notification.pk])).status_code == 404


def test_the_list_pages_through_every_notification_once(client, people, settings):
    settings.MUSANADA = {**settings.MUSANADA, "PAGE_SIZE": 2}
    tickets = [file_request(people["teacher"]) for _ in range(5)]
    client.force_login(people["head"])

    seen, url = [], reverse("notifications:list")
    while url:
        page = client.get(url).content.decode()
        seen += re.findall(r'class="ref" href="/t/([A-Z]+-\d{4}-\d+)/"', page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None

    assert seen == [t.reference for t in reversed(tickets)]
    assert client.get(reverse("notifications:list"), {"after": "not-a-cursor"}).status_code == 302


def test_the_unread_count_costs_the_same_queries_with_one_or_many_notifications(
    client, people, django_assert_num_queries, settings
):
    file_request(people["teacher"])
    head = fresh(people["head"])
    # The newest unread notifications (one bounded range), the user's reach, then the policy's two bounded
    # questions about those tickets (their rows, their holdings).
    with django_assert_num_queries(4):
        assert unread_count(head) == 1

    for _ in range(6):
        file_request(people["teacher"])
    head = fresh(people["head"])
    with django_assert_num_queries(4):
        assert unread_count(head) == 7

    client.force_login(people["head"])
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notifications:bell"))
    read = [q["sql"] for q in queries if 'FROM "notifications_notification"' in q["sql"]]
    # Never a count of everything: the bell reads at most BELL_CAP + 1 rows.
    assert len(read) == 1 and f"LIMIT {BELL_CAP + 1}" in read[0] and "COUNT(" not in read[0].upper()


def test_the_bell_says_99_plus_past_its_cap(client, people, monkeypatch):
    monkeypatch.setattr(selectors, "BELL_CAP", 3)
    monkeypatch.setattr(context_processors, "BELL_CAP", 3)
    for _ in range(5):
        file_request(people["teacher"])
    client.force_login(people["head"])
    bell = client.get(reverse("notifications:bell")).content.decode()
    assert '<span class="count">3+</span>' in bell


def test_the_bell_and_the_notifications_page_show_the_requests_waiting_for_the_requester(client, people):
    asked = file_request(people["teacher"])
    services.ticket_request_info(people["head"], asked, body="ما هو رمز القسم؟")
    solved = file_request(people["teacher"])
    services.ticket_resolve(people["head"], solved, resolution="أعيد تعيين القن السري.")
    file_request(people["teacher"])
    client.force_login(people["teacher"])

    bell = client.get(reverse("notifications:bell")).content.decode()
    with translation.override("ar"):
        said = escape(gettext("Your requests waiting for you:"))
    badge = rf'<a class="waiting-count"[^>]*><span class="visually-hidden">{said} </span>2</a>'
    assert re.search(badge, bell)
    page = client.get(reverse("notifications:list")).content.decode()
    waiting = page[page.index('id="waiting-title"') : page.index("</section>")]
    assert asked.reference in waiting and solved.reference in waiting
    with translation.override("ar"):
        assert escape(gettext("The desk asks you for information")) in waiting
        assert escape(gettext("Confirm that it is solved, or reopen it")) in waiting
    inbox = client.get(reverse("home"), {"tab": "mine"}).content.decode()
    assert inbox.count('class="waiting-for-you"') == 2

    services.ticket_provide_info(people["teacher"], asked, body="3APIC-2")
    services.ticket_close(people["teacher"], solved)
    bell = client.get(reverse("notifications:bell")).content.decode()
    assert "waiting-count" not in bell
    assert 'id="waiting-title"' not in client.get(reverse("notifications:list")).content.decode()
