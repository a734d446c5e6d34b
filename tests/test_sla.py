"""Service levels: the working-time calendar, the clocks of each level, the breach sweep, auto-escalation.

The clock is frozen (`clock` fixture) at chosen local instants of Africa/Casablanca; the targets of the
tickets under test are set explicitly so that each deadline can be checked by hand.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from musanada.jobs import registry
from musanada.notifications.models import Notification, NotificationKind
from musanada.sla import calendar
from musanada.sla.calendar import WorkCalendar, add_working_minutes, working_minutes_between
from musanada.sla.models import AutoEscalationRule, Holiday, LevelVisit, SlaPolicy, VisitOutcome
from musanada.sla.services import sweep, work_calendar
from musanada.tickets import services
from musanada.tickets.models import Event, Ticket
from musanada.tickets.workflow import EventKind, Priority, Status
from tests.helpers import file_request

CASABLANCA = ZoneInfo("Africa/Casablanca")


def at(year, month, day, hour, minute=0):
    """A local instant in Morocco."""
    return datetime(year, month, day, hour, minute, tzinfo=CASABLANCA)


def local(instant):
    return instant.astimezone(CASABLANCA).replace(tzinfo=None)


# The calendar (pure) -----------------------------------------------------------------------------------

PLAIN = WorkCalendar(holidays=frozenset({date(2026, 11, 6), date(2027, 1, 11)}))


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Within the day.
        (at(2026, 10, 5, 9), 60, at(2026, 10, 5, 10)),
        # Ending exactly at closing time stays on that day.
        (at(2026, 10, 5, 15, 30), 60, at(2026, 10, 5, 16, 30)),
        # Spilling over to the next morning.
        (at(2026, 10, 5, 16), 60, at(2026, 10, 6, 9)),
        # Before opening: the clock starts at 08:30.
        (at(2026, 10, 5, 7), 30, at(2026, 10, 5, 9)),
        # In the evening: the clock starts the next morning.
        (at(2026, 10, 5, 20), 30, at(2026, 10, 6, 9)),
        # Friday afternoon: over the weekend.
        (at(2026, 10, 9, 15, 30), 120, at(2026, 10, 12, 9, 30)),
        # Filed on a Saturday.
        (at(2026, 10, 10, 11), 60, at(2026, 10, 12, 9, 30)),
        # Thursday before the Green March holiday (Friday 6 November 2026): on to Monday.
        (at(2026, 11, 5, 16), 60, at(2026, 11, 9, 9)),
        # Several whole working days.
        (at(2026, 10, 5, 9), 3 * 480, at(2026, 10, 8, 9)),
        # Nothing to add.
        (at(2026, 10, 10, 11), 0, at(2026, 10, 10, 11)),
    ],
)
def test_adding_working_minutes_skips_nights_weekends_and_holidays(start, minutes, due):
    assert add_working_minutes(PLAIN, start, minutes) == due


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (at(2026, 10, 5, 9), at(2026, 10, 5, 10), 60),
        (at(2026, 10, 5, 16), at(2026, 10, 6, 9), 60),
        (at(2026, 10, 9, 15, 30), at(2026, 10, 12, 9, 30), 120),
        (at(2026, 10, 10, 8), at(2026, 10, 11, 20), 0),
        (at(2026, 11, 5, 16), at(2026, 11, 9, 9), 60),
        (at(2026, 10, 5, 9), at(2026, 10, 5, 9), 0),
        # An end before the start counts nothing.
        (at(2026, 10, 6, 9), at(2026, 10, 5, 9), 0),
        # A whole week: five days of eight hours.
        (at(2026, 10, 5, 0), at(2026, 10, 12, 0), 5 * 480),
    ],
)
def test_working_minutes_between_two_instants(start, end, minutes):
    assert working_minutes_between(PLAIN, start, end) == minutes


@pytest.mark.parametrize("minutes", [1, 29, 90, 450, 479, 480, 481, 1000, 2400, 9600])
@pytest.mark.parametrize(
    "start",
    [
        at(2026, 10, 5, 9),
        at(2026, 10, 9, 16, 15),
        at(2026, 11, 5, 12),
        at(2027, 1, 8, 15),
        at(2026, 3, 1, 23),
    ],
)
def test_the_minutes_added_are_the_minutes_counted(start, minutes):
    due = add_working_minutes(PLAIN, start, minutes)
    assert working_minutes_between(PLAIN, start, due) == minutes


@pytest.mark.parametrize("day", [date(2026, 1, 5), date(2026, 3, 2), date(2026, 7, 6), date(2026, 12, 7)])
def test_a_working_day_opens_at_half_past_eight_local_time_whatever_the_utc_offset(day):
    # Morocco moves its clocks during Ramadan: opening hours follow the local time, not UTC.
    evening = datetime.combine(day - timedelta(days=3), time(20), tzinfo=CASABLANCA)  # the Friday before
    assert local(add_working_minutes(PLAIN, evening, 30)) == datetime.combine(day, time(9))


def test_a_calendar_that_is_not_a_calendar_is_refused():
    with pytest.raises(ValueError):
        WorkCalendar(start=time(17), end=time(8))
    with pytest.raises(ValueError):
        WorkCalendar(work_days=frozenset())
    with pytest.raises(ValueError):
        add_working_minutes(PLAIN, datetime(2026, 10, 5, 9), 30)
    with pytest.raises(ValueError):
        calendar.parse_hours("from nine to five")
    assert calendar.parse_hours("08:30-16:30") == (time(8, 30), time(16, 30))


def test_another_working_week_can_be_configured():
    sunday_to_thursday = WorkCalendar(work_days=frozenset({6, 0, 1, 2, 3}))
    assert add_working_minutes(sunday_to_thursday, at(2026, 10, 8, 16), 60) == at(2026, 10, 11, 9)


# Reference data ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_national_holidays_and_default_targets_are_there_from_the_start():
    fixed = Holiday.objects.get(date=date(2026, 11, 18))
    assert fixed.confirmed and fixed.name_fr == "Fête de l'Indépendance"
    assert Holiday.objects.filter(date=date(2027, 1, 14), confirmed=True).exists()
    # Religious holidays: expected dates, for the administrators to confirm.
    assert Holiday.objects.filter(name_fr="Aïd al-Fitr", date__year=2026, confirmed=False).count() == 2
    assert Holiday.objects.filter(name_fr="Aïd al-Adha", date__year=2027, confirmed=False).count() == 2
    school_urgent = SlaPolicy.objects.get(level="school", priority=Priority.URGENT)
    assert (school_urgent.first_response_minutes, school_urgent.resolution_minutes) == (120, 480)
    assert SlaPolicy.objects.count() == 16
    assert not AutoEscalationRule.objects.filter(enabled=True).exists()
    assert registry.periodic("sla.sweep").every == timedelta(minutes=5)


# The clocks of the ticket services ---------------------------------------------------------------------


def target(level, priority, response, resolution):
    SlaPolicy.objects.update_or_create(
        level=level,
        priority=priority,
        defaults={"first_response_minutes": response, "resolution_minutes": resolution},
    )


def visits(ticket):
    return list(LevelVisit.objects.filter(ticket=ticket).order_by("arrived_at", "id"))


def test_a_ticket_filed_on_a_friday_afternoon_before_a_holiday_is_due_after_it(people, clock):
    target("school", Priority.URGENT, 120, 480)
    # Friday 8 January 2027, 15:00; Monday 11 January is the Independence Manifesto holiday.
    clock.now = at(2027, 1, 8, 15)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)

    (visit,) = visits(ticket)
    assert (visit.desk.code, visit.level, visit.arrived_at) == ("01001A", "school", clock.now)
    # 90 minutes on Friday, the rest on Tuesday morning.
    assert local(visit.response_due_at) == datetime(2027, 1, 12, 9, 0)
    assert local(visit.resolution_due_at) == datetime(2027, 1, 12, 15, 0)
    ticket.refresh_from_db()
    assert ticket.due_at == visit.resolution_due_at


def test_a_filed_ticket_is_written_once_with_its_due_time(people, clock):
    target("province", Priority.NORMAL, 480, 2 * 480)
    clock.now = at(2026, 10, 5, 9)
    with CaptureQueriesContext(connection) as statements:
        # The head files for their school: the request lands on the province's desk.
        ticket = file_request(people["head"])

    assert ticket.desk.code == "MA-01-01"
    (visit,) = visits(ticket)
    assert local(visit.resolution_due_at) == datetime(2026, 10, 7, 9, 0)
    assert Ticket.objects.get(pk=ticket.pk).due_at == visit.resolution_due_at
    # Inserted with its due time, not inserted and then updated (every index of the row written twice).
    ticket_writes = [q["sql"] for q in statements.captured_queries if '"tickets_ticket"' in q["sql"]]
    assert [sql.split()[0] for sql in ticket_writes if not sql.startswith("SELECT")] == ["INSERT"]


def test_a_holiday_added_by_the_administrators_moves_the_next_deadlines(people, clock):
    target("school", Priority.NORMAL, 480, 480)
    Holiday.objects.create(date=date(2026, 10, 6), name_ar="عطلة", name_fr="Congé exceptionnel")
    clock.now = at(2026, 10, 5, 16)
    ticket = file_request(people["teacher"])
    # Half an hour on Monday, the rest on Wednesday.
    assert local(ticket.due_at) == datetime(2026, 10, 7, 16, 0)


def test_waiting_for_the_requester_stops_the_clock(people, clock):
    target("school", Priority.NORMAL, 480, 3 * 480)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"])
    assert local(ticket.due_at) == datetime(2026, 10, 8, 9, 0)

    clock.now = at(2026, 10, 5, 10)
    services.ticket_request_info(people["head"], ticket, body="Quel niveau, quelle classe ?")
    # Past the original deadline while the ticket waits: the sweep finds nothing late.
    clock.now = at(2026, 10, 8, 10)
    assert sweep().breached == 0
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.SLA_BREACHED).exists()

    services.ticket_provide_info(people["teacher"], ticket, body="Troisième année, classe B.")
    (visit,) = visits(ticket)
    # Waited from Monday 10:00 to Thursday 10:00: three working days, added to the deadline.
    assert visit.paused_seconds == 3 * 480 * 60
    assert local(visit.resolution_due_at) == datetime(2026, 10, 13, 9, 0)
    assert visit.first_response_at == at(2026, 10, 5, 10)
    ticket.refresh_from_db()
    assert ticket.due_at == visit.resolution_due_at


def test_escalation_starts_the_next_levels_clock_and_keeps_the_whole_journey(people, clock):
    target("school", Priority.NORMAL, 480, 3 * 480)
    target("province", Priority.NORMAL, 480, 5 * 480)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"])
    clock.now = at(2026, 10, 5, 11)
    services.ticket_escalate(people["head"], ticket, note="Essayé de vider le cache du navigateur.")

    school, province = visits(ticket)
    assert (school.level, school.outcome, school.left_at) == ("school", VisitOutcome.ESCALATED, clock.now)
    assert school.first_response_at is None and not school.response_breached
    assert (province.desk.code, province.arrived_at, province.left_at) == ("MA-01-01", clock.now, None)
    assert local(province.resolution_due_at) == datetime(2026, 10, 12, 11, 0)
    ticket.refresh_from_db()
    assert ticket.due_at == province.resolution_due_at

    clock.now = at(2026, 10, 6, 10)
    services.ticket_resolve(people["province"], ticket, resolution="Compte réactivé.")
    ticket.refresh_from_db()
    school, province = visits(ticket)
    assert (province.outcome, province.resolved_at, province.first_response_at) == (
        VisitOutcome.RESOLVED,
        clock.now,
        clock.now,
    )
    assert ticket.due_at is None
    # The whole journey: from filing at the school to the resolution at the province.
    assert ticket.resolved_at - ticket.filed_at == timedelta(hours=25)
    assert province.resolved_at - province.arrived_at == timedelta(hours=23)


def test_reopening_restarts_the_same_levels_clock_without_counting_the_resolved_time(people, clock):
    target("school", Priority.NORMAL, 480, 2 * 480)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"])
    clock.now = at(2026, 10, 5, 12)
    services.ticket_resolve(people["head"], ticket, resolution="Réglé.")
    clock.now = at(2026, 10, 6, 12)
    services.ticket_reopen(people["teacher"], ticket, reason="Toujours bloqué.")

    (visit,) = visits(ticket)
    assert (visit.left_at, visit.outcome, visit.resolved_at) == (None, None, None)
    # Resolved for one working day: the deadline of Wednesday 09:00 moves to Thursday 09:00.
    assert visit.paused_seconds == 480 * 60
    assert local(visit.resolution_due_at) == datetime(2026, 10, 8, 9, 0)
    ticket.refresh_from_db()
    assert ticket.due_at == visit.resolution_due_at


# The sweep ----------------------------------------------------------------------------------------------


def told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def test_the_breach_job_notifies_the_supervisors_and_the_desk_above_once(people, clock):
    target("province", Priority.URGENT, 120, 960)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)
    services.ticket_escalate(people["head"], ticket, note="Rien n'y fait.")

    # 80% of the two hours for the first response: 10:36.
    clock.now = at(2026, 10, 5, 10, 30)
    assert sweep().at_risk == 0
    clock.now = at(2026, 10, 5, 10, 40)
    assert sweep().at_risk == 1
    assert sweep().at_risk == 0
    # The province has no supervisor: its agents answer for it.
    assert told(NotificationKind.SLA_AT_RISK) == ["province"]

    clock.now = at(2026, 10, 5, 11, 5)
    first = sweep()
    second = sweep()
    assert (first.breached, second.breached) == (1, 0)
    # The province's agents, and the academy's supervisor, who reads the subtree. The academy's agent does not
    # read tickets that never reached the academy, so nothing is listed for them.
    assert told(NotificationKind.SLA_BREACHED) == ["province", "supervisor"]
    breach = Event.objects.get(ticket=ticket, kind=EventKind.SLA_BREACHED)
    assert breach.by_system and not breach.public
    assert breach.data["target"] == "response" and breach.data["above"] == "MA-01"
    (school, province) = visits(ticket)
    assert province.response_breached and not province.resolution_breached
    # Nothing of it reaches the requester.
    assert not Notification.objects.filter(user=people["teacher"], kind__startswith="sla_").exists()


def test_a_ticket_answered_in_time_is_never_reported(people, clock):
    target("school", Priority.URGENT, 120, 480)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)
    clock.now = at(2026, 10, 5, 9, 30)
    services.ticket_resolve(people["head"], ticket, resolution="Réglé tout de suite.")
    clock.now = at(2026, 10, 9, 9)
    result = sweep()
    assert (result.at_risk, result.breached, result.escalated) == (0, 0, 0)
    (visit,) = visits(ticket)
    assert not visit.response_breached and not visit.resolution_breached


def test_automatic_escalation_when_on_moves_the_ticket_with_an_event(people, clock):
    target("school", Priority.URGENT, 120, 480)
    AutoEscalationRule.objects.filter(level="school").update(enabled=True, overrun_minutes=60)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)
    services.ticket_take(people["head"], ticket)

    # Due Tuesday 09:00; half an hour late is not yet the hour of overrun.
    clock.now = at(2026, 10, 6, 9, 30)
    assert sweep().escalated == 0
    clock.now = at(2026, 10, 6, 10, 5)
    assert sweep().escalated == 1
    assert sweep().escalated == 0

    ticket.refresh_from_db()
    assert (ticket.desk.code, ticket.status, ticket.assignee) == ("MA-01-01", Status.NEW, None)
    requalified = Event.objects.get(ticket=ticket, kind=EventKind.REQUALIFIED)
    escalated = Event.objects.get(ticket=ticket, kind=EventKind.ESCALATED)
    assert (
        requalified.by_system and requalified.data["automatic"] and requalified.data["overrun_minutes"] == 60
    )
    assert escalated.by_system and escalated.data["to"]["code"] == "MA-01-01" and escalated.data["automatic"]
    assert told(NotificationKind.NEW_TICKET).count("province") == 1
    school, province = visits(ticket)
    assert school.outcome == VisitOutcome.ESCALATED and school.resolution_breached
    assert province.left_at is None and province.arrived_at == clock.now


def test_automatic_escalation_is_off_by_default(people, clock):
    target("school", Priority.URGENT, 120, 480)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)
    clock.now = at(2026, 10, 9, 16)
    result = sweep()
    assert result.escalated == 0 and result.breached == 2
    ticket.refresh_from_db()
    assert ticket.desk.code == "01001A"
    assert not Event.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).exists()


def test_the_history_says_the_referral_was_automatic(client, people, clock):
    target("school", Priority.URGENT, 120, 480)
    AutoEscalationRule.objects.filter(level="school").update(enabled=True, overrun_minutes=60)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)
    clock.now = at(2026, 10, 7, 9)
    sweep()
    client.force_login(people["province"])
    page = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    with translation.override("ar"):
        said = gettext(
            "Referred automatically: the resolution target of this level was missed by more than "
            "%(minutes)s working minutes"
        ) % {"minutes": 60}
    assert said in page


# Pages -------------------------------------------------------------------------------------------------


def test_the_inbox_shows_the_time_left_and_marks_tickets_at_risk_and_breached(client, people, clock):
    target("school", Priority.URGENT, 120, 480)
    target("school", Priority.NORMAL, 480, 3 * 480)
    clock.now = at(2026, 10, 5, 9)
    late = file_request(people["teacher"], priority=Priority.URGENT)
    calm = file_request(people["teacher"])
    clock.now = at(2026, 10, 5, 11, 30)
    client.force_login(people["head"])
    page = client.get(reverse("home")).content.decode()
    assert page.count('data-sla="breached"') == 1
    assert page.count('data-sla="on_time"') == 1
    # The calm one: due Thursday 09:00, 3 working days minus two and a half hours.
    assert 'data-minutes-left="1290"' in page

    services.ticket_reply(people["head"], calm, body="Nous regardons.")
    # Answered in time; on Wednesday afternoon more than 80% of its three days are used (a new working
    # day: a new session).
    clock.now = at(2026, 10, 7, 15)
    client.force_login(people["head"])
    page = client.get(reverse("home")).content.decode()
    assert 'data-sla="at_risk"' in page

    detail = client.get(reverse("ticket-detail", args=[late.reference])).content.decode()
    assert 'id="ticket-sla"' in detail and 'data-sla="breached"' in detail
    services.ticket_resolve(people["head"], calm, resolution="Réglé.")
    detail = client.get(reverse("ticket-detail", args=[calm.reference])).content.decode()
    assert 'id="ticket-sla"' not in detail


def test_a_ticket_waiting_for_the_requester_shows_a_paused_clock(client, people, clock):
    target("school", Priority.NORMAL, 480, 3 * 480)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"])
    services.ticket_request_info(people["head"], ticket, body="Quelle classe ?")
    clock.now = at(2026, 10, 12, 9)
    client.force_login(people["teacher"])
    detail = client.get(reverse("ticket-detail", args=[ticket.reference])).content.decode()
    assert 'data-sla="paused"' in detail


def test_a_ticket_without_a_target_has_no_clock(people, clock):
    SlaPolicy.objects.filter(level="school").delete()
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"])
    (visit,) = visits(ticket)
    assert visit.resolution_due_at is None and ticket.due_at is None
    clock.now = at(2026, 12, 1, 9)
    assert sweep().breached == 0
    assert Ticket.objects.get(pk=ticket.pk).due_at is None


def test_the_breach_mail_tells_the_supervisor_which_target_was_missed(people, clock):
    from musanada.mail import outbound
    from musanada.tickets.events import describe

    target("province", Priority.URGENT, 120, 960)
    clock.now = at(2026, 10, 5, 9)
    ticket = file_request(people["teacher"], priority=Priority.URGENT)
    services.ticket_escalate(people["head"], ticket, note="Rien n'y fait.")
    clock.now = at(2026, 10, 5, 11, 5)
    sweep()
    notification = Notification.objects.get(user=people["supervisor"], kind=NotificationKind.SLA_BREACHED)
    message = outbound.notification_message(notification)
    assert message is not None and message.to == [people["supervisor"].email]
    assert ticket.reference in message.subject
    with translation.override("en"):
        assert describe(notification.event).startswith("The first response target at ")


def test_holidays_and_targets_changed_in_the_admin_count_at_the_next_action_though_they_are_cached(people):
    day = date(2027, 3, 15)
    assert day not in work_calendar().holidays
    Holiday.objects.create(date=day, name_ar="عطلة", name_fr="Congé")
    assert day in work_calendar().holidays
    Holiday.objects.filter(date=day).delete()
    assert day not in work_calendar().holidays

    first = file_request(people["teacher"])
    policy = SlaPolicy.objects.get(level="school", priority=first.priority)
    policy.resolution_minutes *= 2
    policy.save()
    second = file_request(people["teacher"])
    visits = {visit.ticket_id: visit for visit in LevelVisit.objects.filter(ticket__in=[first, second])}
    first_span = visits[first.pk].resolution_due_at - visits[first.pk].arrived_at
    second_span = visits[second.pk].resolution_due_at - visits[second.pk].arrived_at
    assert second_span > first_span
