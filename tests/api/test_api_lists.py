"""Lists over the API: filters, and cursor pages that neither skip nor repeat."""

from datetime import timedelta
from unittest import mock

from django.utils import timezone

from musanada.tickets import services


def _file(people, units, categories, username="teacher", unit="01001A", category="massar"):
    return services.ticket_file(
        people[username], unit=units[unit], category=categories[category], subject="s", description="d"
    )


def test_cursor_pages_walk_every_visible_ticket_once_newest_first(api, people, units, categories):
    filed = [_file(people, units, categories) for _ in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api["head"].get("/tickets", params).json()
        seen += [item["reference"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [ticket.reference for ticket in reversed(filed)]


def test_filters_narrow_the_list_to_status_desk_category_origin_and_recent_changes(
    api, people, units, categories
):
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start - timedelta(days=3)):
        old = _file(people, units, categories)
    school = _file(people, units, categories, category="massar-grades")
    other_school = _file(people, units, categories, username="head2", unit="01002B")
    services.ticket_escalate(people["head"], school, note="essayé")

    def refs(**params):
        return [item["reference"] for item in api["province"].get("/tickets", params).json()["items"]]

    assert refs(desk="MA-01-01") == [school.reference, other_school.reference]
    assert refs(category="massar-grades") == [school.reference]
    assert school.reference in refs(category="massar")
    assert refs(origin_unit="01002B") == [other_school.reference]
    head = [item["reference"] for item in api["head"].get("/tickets", {"status": "new"}).json()["items"]]
    assert head == [school.reference, old.reference]
    since = (start - timedelta(days=1)).isoformat()
    recent = [i["reference"] for i in api["head"].get("/tickets", {"updated_since": since}).json()["items"]]
    assert old.reference not in recent and school.reference in recent


def test_units_are_listed_by_parent_and_kind_a_page_at_a_time(api):
    provinces = api["teacher"].get("/units", {"parent": "MA-01", "kind": "province"}).json()
    codes = [unit["code"] for unit in provinces["items"]]
    assert "MA-01-01" in codes and all(unit["parent"] == "MA-01" for unit in provinces["items"])
    first = api["teacher"].get("/units", {"kind": "academy", "limit": 5}).json()
    second = (
        api["teacher"].get("/units", {"kind": "academy", "limit": 5, "cursor": first["next_cursor"]}).json()
    )
    rest = (
        api["teacher"].get("/units", {"kind": "academy", "limit": 20, "cursor": second["next_cursor"]}).json()
    )
    academies = [u["code"] for u in first["items"] + second["items"] + rest["items"]]
    assert len(academies) == len(set(academies)) == 12 and rest["next_cursor"] is None


def test_categories_name_their_owning_service(api):
    categories = {c["code"]: c for c in api["teacher"].get("/categories").json()}
    assert categories["massar"]["owner"] == "MEN-MASSAR" and categories["massar-grades"]["parent"] == "massar"


def test_me_lists_the_callers_units_and_roles(api):
    me = api["head"].get("/me").json()
    assert me["username"] == "head" and me["authenticated_by"] == "token"
    assert [(m["unit"], m["role"]) for m in me["memberships"]] == [("01001A", "agent")]
