"""Where a request lands: by who files it, for which unit, and past desks that nobody answers yet."""

import pytest
from django.utils import translation

from musanada.core.errors import InvalidInput
from musanada.org.models import Membership, Role, UnitKind
from musanada.org.services import membership_grant, unit_upsert
from musanada.tickets import policy, services
from musanada.tickets.events import describe
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import EventKind, Status
from tests.helpers import file_request


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def deactivate(user, unit):
    Membership.objects.filter(user=user, unit=unit).update(is_active=False)
    policy.forget_reach(user)


@pytest.fixture
def new_user(django_user_model):
    def make(username):
        return django_user_model.objects.create_user(username=username, password="x-unused-password")

    return make


def test_teacher_request_lands_on_the_school_desk(people, units, categories):
    ticket = file_request(people["teacher"], units["01001A"], categories["massar"])
    assert ticket.desk == units["01001A"]
    assert ticket.origin_unit == units["01001A"]
    assert ticket.status == Status.NEW
    assert kinds(ticket) == [EventKind.FILED]
    filed = ticket.events.get()
    assert filed.data["desk"] == "01001A" and filed.data["unit"] == "01001A"


def test_school_head_request_lands_on_the_provincial_desk(people, units, categories):
    ticket = file_request(people["head"], units["01001A"], categories["massar"])
    assert ticket.desk == units["MA-01-01"]
    assert ticket.origin_unit == units["01001A"]
    assert kinds(ticket) == [EventKind.FILED]


def test_provincial_agent_request_lands_on_the_provincial_desk(people, units, categories):
    ticket = file_request(people["province"], units["MA-01-01"], categories["massar"])
    assert ticket.desk == units["MA-01-01"]


def test_provincial_staff_request_lands_on_the_provincial_desk(people, units, categories, new_user):
    clerk = new_user("province_clerk")
    membership_grant(clerk, units["MA-01-01"], Role.STAFF)
    ticket = file_request(clerk, units["MA-01-01"], categories["accounts"])
    assert ticket.desk == units["MA-01-01"]


def test_academy_staff_request_lands_on_the_regional_desk(people, units, categories, new_user):
    officer = new_user("academy_officer")
    membership_grant(officer, units["MA-01"], Role.STAFF)
    ticket = file_request(officer, units["MA-01"], categories["massar"])
    assert ticket.desk == units["MA-01"]
    assert kinds(ticket) == [EventKind.FILED]


@pytest.mark.parametrize(
    ("category", "service"),
    [
        ("massar-grades", "MEN-MASSAR"),
        ("accounts-password", "MEN-ACCOUNTS"),
        ("taalim", "MEN-ACCOUNTS"),
    ],
)
def test_central_staff_request_lands_on_the_service_that_owns_the_category(
    people, units, categories, new_user, category, service
):
    analyst = new_user("central_analyst")
    membership_grant(analyst, units["MEN"], Role.STAFF)
    ticket = file_request(analyst, units["MEN"], categories[category])
    assert ticket.desk == units[service]
    assert kinds(ticket) == [EventKind.FILED]


def test_central_request_stays_on_its_service_even_when_nobody_answers_there_yet(
    people, units, categories, new_user
):
    analyst = new_user("central_analyst")
    membership_grant(analyst, units["MEN"], Role.STAFF)
    assert not Membership.objects.filter(unit=units["MEN-HR"]).exists()
    ticket = file_request(analyst, units["MEN"], categories["masirh"])
    assert ticket.desk == units["MEN-HR"]
    assert kinds(ticket) == [EventKind.FILED]


def test_teacher_in_two_schools_files_for_the_school_they_choose(people, units, categories):
    teacher = people["teacher"]
    membership_grant(teacher, units["01002B"], Role.STAFF)
    first = file_request(teacher, units["01001A"], categories["massar"])
    second = file_request(teacher, units["01002B"], categories["massar"])
    assert (first.desk, first.origin_unit) == (units["01001A"], units["01001A"])
    assert (second.desk, second.origin_unit) == (units["01002B"], units["01002B"])


def test_head_who_also_teaches_elsewhere_files_as_staff_there(people, units, categories):
    head = people["head"]
    membership_grant(head, units["01002B"], Role.STAFF)
    as_teacher = file_request(head, units["01002B"], categories["massar"])
    as_head = file_request(head, units["01001A"], categories["massar"])
    assert as_teacher.desk == units["01002B"]
    assert as_head.desk == units["MA-01-01"]


@pytest.mark.parametrize(
    ("username", "unit"),
    [
        ("teacher", "01002B"),
        ("teacher", "02001D"),
        ("head", "MA-01-01"),
        ("outsider_teacher", "01001A"),
        ("province", "MA-01"),
        ("admin", "01001A"),
    ],
)
def test_filing_for_a_unit_one_does_not_belong_to_is_refused(people, units, categories, username, unit):
    before = Ticket.objects.count()
    with pytest.raises(InvalidInput) as refused:
        file_request(people[username], units[unit], categories["massar"])
    assert refused.value.code == "not_a_member" and refused.value.field == "unit"
    assert str(refused.value)
    assert Ticket.objects.count() == before


def test_filing_for_a_unit_whose_membership_ended_is_refused(people, units, categories):
    deactivate(people["teacher"], units["01001A"])
    with pytest.raises(InvalidInput) as refused:
        file_request(people["teacher"], units["01001A"], categories["massar"])
    assert refused.value.code == "not_a_member"
    assert not Ticket.objects.exists()


def test_request_to_a_school_whose_head_left_goes_up_to_the_province_and_says_why(people, units, categories):
    deactivate(people["head"], units["01001A"])
    ticket = file_request(people["teacher"], units["01001A"], categories["massar"])
    assert ticket.desk == units["MA-01-01"]
    assert ticket.origin_unit == units["01001A"]
    assert kinds(ticket) == [EventKind.FILED, EventKind.ROUTED_UP]
    routed = ticket.events.get(kind=EventKind.ROUTED_UP)
    assert routed.data["skipped"] == ["01001A"]
    assert routed.data["desk"] == "MA-01-01"
    assert routed.by_system and routed.actor is None
    with translation.override("fr"):
        shown = describe(routed)
    assert "École primaire Ibn Battouta" in shown and units["MA-01-01"].name_fr in shown
    # The empty desk never held it: it would otherwise count in that desk's lists.
    assert list(ticket.holdings.values_list("desk__code", flat=True)) == ["MA-01-01"]


def test_request_to_a_school_whose_head_account_is_disabled_goes_up(people, units, categories):
    head = people["head"]
    head.is_active = False
    head.save(update_fields=["is_active"])
    ticket = file_request(people["teacher"], units["01001A"], categories["massar"])
    assert ticket.desk == units["MA-01-01"]
    assert ticket.events.get(kind=EventKind.ROUTED_UP).data["skipped"] == ["01001A"]


def test_request_from_a_new_school_without_a_head_goes_to_the_province(people, units, categories, new_user):
    school = unit_upsert(
        code="01003E",
        kind=UnitKind.SCHOOL,
        parent=units["MA-01-01"],
        name_ar="مدرسة جديدة",
        name_fr="École nouvelle",
    )
    teacher = new_user("new_school_teacher")
    membership_grant(teacher, school, Role.STAFF)
    ticket = file_request(teacher, school, categories["massar"])
    assert ticket.desk == units["MA-01-01"]
    assert ticket.events.get(kind=EventKind.ROUTED_UP).data["skipped"] == ["01003E"]


def test_request_passes_every_empty_desk_up_to_the_first_staffed_one(people, units, categories, new_user):
    province = unit_upsert(
        code="MA-01-99",
        kind=UnitKind.PROVINCE,
        parent=units["MA-01"],
        name_ar="مديرية تجريبية",
        name_fr="Direction d'essai",
    )
    school = unit_upsert(
        code="01999Z",
        kind=UnitKind.SCHOOL,
        parent=province,
        name_ar="مدرسة تجريبية",
        name_fr="École d'essai",
    )
    teacher = new_user("remote_teacher")
    membership_grant(teacher, school, Role.STAFF)
    ticket = file_request(teacher, school, categories["massar"])
    assert ticket.desk == units["MA-01"]
    routed = ticket.events.get(kind=EventKind.ROUTED_UP)
    assert routed.data["skipped"] == ["01999Z", "MA-01-99"]


def test_a_desk_staffed_only_by_an_observer_counts_as_empty(people, units, categories):
    deactivate(people["province"], units["MA-01-01"])
    # "observer" reads MA-01-01 but does not work its desk.
    ticket = file_request(people["head"], units["01001A"], categories["massar"])
    assert ticket.desk == units["MA-01"]
    assert ticket.events.get(kind=EventKind.ROUTED_UP).data["skipped"] == ["MA-01-01"]


def test_escalation_into_an_empty_academy_desk_goes_on_to_the_central_service(people, units, categories):
    # Nobody works the MA-02 regional desk in the demo population.
    ticket = file_request(people["outsider_head"], units["02001D"], categories["massar"])
    assert ticket.desk == units["MA-02-01"]
    services.ticket_escalate(
        people["outsider"], ticket, note="Toute la province est touchée.", category=categories["taalim"]
    )
    assert ticket.desk == units["MEN-ACCOUNTS"]
    assert ticket.status == Status.NEW
    assert kinds(ticket) == [EventKind.FILED, EventKind.REQUALIFIED, EventKind.ESCALATED, EventKind.ROUTED_UP]
    escalated = ticket.events.get(kind=EventKind.ESCALATED)
    assert escalated.data["from"]["code"] == "MA-02-01" and escalated.data["to"]["code"] == "MEN-ACCOUNTS"
    routed = ticket.events.get(kind=EventKind.ROUTED_UP)
    assert routed.data["skipped"] == ["MA-02"] and routed.data["desk"] == "MEN-ACCOUNTS"
    assert routed.by_system


def test_escalation_from_a_school_into_an_empty_province_goes_on_to_the_academy(people, units, categories):
    deactivate(people["province"], units["MA-01-01"])
    ticket = file_request(people["teacher"], units["01001A"], categories["massar"])
    services.ticket_escalate(people["head"], ticket, note="Redémarrage sans effet.")
    assert ticket.desk == units["MA-01"]
    assert ticket.events.get(kind=EventKind.ROUTED_UP).data["skipped"] == ["MA-01-01"]


def test_escalation_into_a_staffed_desk_adds_no_routed_up_event(people, units, categories):
    ticket = file_request(people["teacher"], units["01001A"], categories["massar"])
    services.ticket_escalate(people["head"], ticket, note="Redémarrage sans effet.")
    assert ticket.desk == units["MA-01-01"]
    assert EventKind.ROUTED_UP not in kinds(ticket)


def test_regional_escalation_follows_the_requalified_category(people, units, categories):
    ticket = file_request(people["province"], units["MA-01-01"], categories["massar"])
    services.ticket_escalate(people["province"], ticket, note="Compte bloqué, pas Massar.")
    assert ticket.desk == units["MA-01"]
    services.ticket_escalate(
        people["region"], ticket, note="Réinitialisation impossible ici.", category=categories["accounts-2fa"]
    )
    assert ticket.desk == units["MEN-ACCOUNTS"]
    assert ticket.category == categories["accounts-2fa"]
