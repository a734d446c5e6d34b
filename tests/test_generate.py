"""`musanada generate`: a generated population under the national tree, and tickets filed by it."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import translation

from musanada.demo.population import allocate, school_code
from musanada.org.models import Membership, OrgUnit, Role, UnitKind, User
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import EventKind, Status

DEMO_SCHOOLS = {"01001A", "01002B", "01301C", "02001D"}
GRESA_LIKE = re.compile(r"^\d{5}[A-Z]$")


def generate(**options) -> str:
    out = StringIO()
    call_command("generate", stdout=out, **options)
    return out.getvalue()


def generated_schools():
    return OrgUnit.objects.filter(kind=UnitKind.SCHOOL).exclude(code__in=DEMO_SCHOOLS)


def test_generate_creates_the_schools_and_staff_asked_for(db):
    output = generate(schools=40, staff=500, seed=7)

    schools = generated_schools()
    assert schools.count() == 40
    assert Membership.objects.filter(unit__in=schools, role=Role.STAFF).count() == 500
    assert "40 schools" in output and "500 staff" in output


def test_generated_codes_are_unique_gresa_like_and_never_those_of_the_demo_schools(db):
    generate(schools=300, staff=0, seed=3)

    codes = list(generated_schools().values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 300
    assert all(GRESA_LIKE.match(code) for code in codes)
    assert not DEMO_SCHOOLS & set(codes)
    # The demo schools end in A to D: generated ones never do, whatever the province and the count.
    assert all(code[-1] not in "ABCD" for code in codes)
    assert (
        school_code(1, 0) == "01001E" and school_code(82, 21) == "82001Z" and school_code(82, 22) == "82002E"
    )


def test_schools_are_spread_over_the_provinces_with_arabic_and_french_names(db):
    generate(schools=820, staff=0, seed=11)

    per_province = dict(
        OrgUnit.objects.filter(kind=UnitKind.PROVINCE)
        .annotate(n=Count("children", filter=~Q(children__code__in=DEMO_SCHOOLS)))
        .values_list("code", "n")
    )
    assert sum(per_province.values()) == 820
    assert len(per_province) == 82 and all(n > 0 for n in per_province.values())
    # Weighted, not uniform: provinces differ, within a realistic range around the average of 10.
    assert min(per_province.values()) < 10 < max(per_province.values()) <= 30
    for school in generated_schools()[:50]:
        assert school.name_fr.startswith(("École primaire ", "Collège ", "Lycée "))
        assert school.name_ar.startswith(("مدرسة ", "الثانوية الإعدادية ", "الثانوية التأهيلية "))


def test_every_unit_path_is_its_parent_path_plus_its_code(db):
    generate(schools=50, staff=100, seed=5)

    units = {unit.pk: unit for unit in OrgUnit.objects.all()}
    for unit in units.values():
        parent_path = units[unit.parent_id].path if unit.parent_id else "/"
        assert unit.path == f"{parent_path}{unit.code}/"
        assert unit.depth == unit.path.count("/") - 2
    assert {unit.depth for unit in units.values() if unit.kind == UnitKind.SCHOOL} == {3}


def test_every_generated_school_has_exactly_one_head(db):
    generate(schools=60, staff=200, seed=5)

    heads = generated_schools().annotate(heads=Count("memberships", filter=Q(memberships__role=Role.AGENT)))
    assert {school.heads for school in heads} == {1}
    head = Membership.objects.get(unit=heads[0], role=Role.AGENT).user
    assert head.username == f"g-{heads[0].code.lower()}-head"


def test_desks_above_the_schools_get_their_agents(db):
    generate(schools=10, staff=20, seed=5)

    def agents(kind):
        return dict(
            OrgUnit.objects.filter(kind=kind)
            .annotate(
                n=Count(
                    "memberships",
                    filter=Q(memberships__role=Role.AGENT, memberships__user__username__startswith="g-"),
                )
            )
            .values_list("code", "n")
        )

    assert all(2 <= n <= 4 for n in agents(UnitKind.PROVINCE).values())
    assert all(2 <= n <= 3 for n in agents(UnitKind.ACADEMY).values())
    assert set(agents(UnitKind.SERVICE).values()) == {2}
    # Agents at several levels: the spread per province is drawn, not the same everywhere.
    assert len(set(agents(UnitKind.PROVINCE).values())) > 1


def test_generated_people_have_arabic_names_unique_usernames_and_the_given_password(db):
    generate(schools=5, staff=30, seed=5, password="Generated-Pass-1")

    people = User.objects.filter(username__startswith="g-")
    assert people.count() == people.values("username").distinct().count()
    person = people.filter(memberships__role=Role.STAFF).first()
    assert re.match(r"^[\u0600-\u06FF ]+$", person.first_name) and re.match(
        r"^[\u0600-\u06FF ]+$", person.last_name
    )
    assert person.email == f"{person.username}@demo.musanada.ma"
    assert person.check_password("Generated-Pass-1") and person.is_active
    # One hash computed once: everyone shares it.
    assert people.values("password").distinct().count() == 1


def test_no_password_option_gives_unusable_passwords(db):
    generate(schools=2, staff=4, seed=5, no_password=True)

    assert not any(user.has_usable_password() for user in User.objects.filter(username__startswith="g-"))


def test_rerun_with_the_same_seed_creates_nothing_new(db):
    generate(schools=30, staff=120, seed=9)
    counts = (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count())

    output = generate(schools=30, staff=120, seed=9)

    assert (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert "0 schools, 0 users, 0 memberships created" in output
    assert "30 schools and" in output


def test_a_larger_rerun_adds_only_what_is_missing(db):
    generate(schools=20, staff=50, seed=9)
    before = set(generated_schools().values_list("code", flat=True))

    generate(schools=40, staff=50, seed=9)

    after = set(generated_schools().values_list("code", flat=True))
    assert len(after) == 40 and before <= after
    assert generated_schools().filter(memberships__role=Role.AGENT).count() == 40


def test_academy_option_keeps_the_population_in_that_academy(db):
    generate(schools=25, staff=60, seed=4, academies=["MA-02"])

    assert all(school.path.startswith("/MEN/MA-02/") for school in generated_schools())
    province_agents = Membership.objects.filter(
        unit__kind=UnitKind.PROVINCE, role=Role.AGENT, user__username__startswith="g-"
    )
    assert province_agents.exists()
    assert not province_agents.exclude(unit__path__startswith="/MEN/MA-02/").exists()


def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(db):
    before = OrgUnit.objects.count()

    with translation.override("en"), pytest.raises(CommandError, match="Unknown academy: MA-99"):
        generate(schools=5, staff=5, academies=["MA-99"])
    with translation.override("en"), pytest.raises(CommandError, match="Staff need schools"):
        generate(schools=0, staff=5)
    with translation.override("en"), pytest.raises(CommandError, match="generate staff first"):
        generate(tickets=3)

    assert OrgUnit.objects.count() == before


def test_allocation_is_proportional_and_sums_to_the_total():
    assert allocate(10, [1, 1, 2]) == [3, 2, 5]
    assert sum(allocate(18_000, [0.4 + i / 100 for i in range(82)])) == 18_000
    assert allocate(0, [1, 2]) == [0, 0]


def test_generated_tickets_are_filed_and_walked_through_the_services(db):
    generate(schools=20, staff=150, seed=2)

    output = generate(tickets=80, seed=2)

    tickets = Ticket.objects.filter(requester__username__startswith="g-").select_related("desk")
    assert tickets.count() == 80
    assert "80 filed" in output and "ms per ticket" in output
    assert {ticket.status for ticket in tickets} == set(Status.values)
    assert {ticket.desk.level for ticket in tickets} >= {"school", "province", "academy"}
    for ticket in tickets.prefetch_related("events", "holdings"):
        events = list(ticket.events.all())
        assert events[0].kind == EventKind.FILED and events[0].actor_id == ticket.requester_id
        assert ticket.desk_id in {holding.desk_id for holding in ticket.holdings.all()}
        assert (ticket.resolved_at is not None) == (ticket.status in (Status.RESOLVED, Status.CLOSED))
        assert (ticket.closed_at is not None) == (ticket.status == Status.CLOSED)
        escalations = sum(event.kind == EventKind.ESCALATED for event in events)
        assert escalations == {"school": 0, "province": 1, "academy": 2, "central": 3}[ticket.desk.level]


def test_generating_tickets_again_tops_up_to_the_number_asked(db):
    generate(schools=5, staff=30, seed=2)
    generate(tickets=10, seed=2)

    output = generate(tickets=15, seed=2)

    assert Ticket.objects.filter(requester__username__startswith="g-").count() == 15
    assert "5 filed (10 existed already)" in output
