"""Lists over the API: filters, and cursor pages that neither skip nor repeat."""

from datetime import timedelta

from musanada.tickets import services
from tests.helpers import file_request


def test_cursor_pages_walk_every_visible_ticket_once_newest_first(api, people):
    filed = [file_request(people["teacher"]) for _ in range(7)]
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
    api, people, categories, clock
):
    start = clock.now
    clock.now = start - timedelta(days=3)
    old = file_request(people["teacher"])
    clock.now = start
    school = file_request(people["teacher"], category=categories["massar-grades"])
    clock.advance(seconds=1)
    other_school = file_request(people["head2"])
    clock.advance(seconds=1)
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
