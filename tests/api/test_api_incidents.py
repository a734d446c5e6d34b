"""Known incidents over the API: who lists and reads them, filing a request that follows one, the desk's
updates and resolution, and attaching a request (tests/test_incidents.py holds the rules themselves)."""

import pytest

from musanada.jobs.runner import run_until_empty
from musanada.tickets.models import Ticket
from tests.test_incidents import declare

PROBLEM = "application/problem+json"


def _problem(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert [error["field"] for error in body["errors"]] == [field]
    return body


def _file(api, caller="teacher", headers=None, **fields):
    return api[caller].post(
        "/tickets",
        {
            "unit": "01001A",
            "category": "massar",
            "subject": "Notes",
            "description": "Massar ne répond pas.",
            **fields,
        },
        **(headers or {}),
    )


@pytest.fixture
def incident(people, units, categories):
    return declare(people, units, categories)


def test_the_academy_s_incident_is_listed_and_read_inside_it_only(api, people, units, categories, incident):
    national = declare(people, units, categories, by="central", desk="MEN-MASSAR", scope="MEN")
    listed = api["teacher"].get("/incidents")
    assert listed.status_code == 200, listed.content
    items = {item["id"]: item for item in listed.json()["items"]}
    assert list(items) == [national.pk, incident.pk]  # latest first
    mine = items[incident.pk]
    assert mine["concerns_me"] is True
    assert mine["status"] == "open" and mine["category"] == "massar"
    assert mine["scope"]["code"] == mine["desk"]["code"] == "MA-01"
    assert mine["url"] == f"/incidents/{incident.pk}/"
    assert api["teacher"].get("/incidents", {"status": "resolved"}).json()["items"] == []

    outsider = api["outsider_teacher"]
    assert [item["id"] for item in outsider.get("/incidents").json()["items"]] == [national.pk]
    _problem(outsider.get(f"/incidents/{incident.pk}"), 404, "not_found")
    _problem(outsider.post(f"/incidents/{incident.pk}/updates", {"body": "?"}), 404, "not_found")

    read = api["teacher"].get(f"/incidents/{incident.pk}")
    assert read.status_code == 200, read.content
    assert read.json()["updates"] == [] and read.json()["following"] is None


def test_a_request_filed_with_the_incident_follows_it_and_one_of_another_category_is_refused(
    api, people, units, categories, incident
):
    filed = _file(api, incident=incident.pk, category="massar-grades")
    assert filed.status_code == 201, filed.content
    reference = filed.json()["reference"]
    detail = api["teacher"].get(f"/tickets/{reference}").json()
    followed = [event for event in detail["events"] if event["kind"] == "incident_followed"]
    assert len(followed) == 1 and followed[0]["data"]["incident"] == incident.pk

    other = declare(people, units, categories, category="accounts")
    count = Ticket.objects.count()
    _problem(_file(api, incident=other.pk), 422, "invalid_incident", "incident")
    _problem(_file(api, incident=10**12), 422, "invalid", "incident")  # beyond any id
    assert Ticket.objects.count() == count

    following = api["region"].get(f"/incidents/{incident.pk}").json()["following"]
    assert following == 1


def test_the_desk_posts_updates_and_resolves_and_the_requests_are_resolved_with_it(
    api, people, units, categories, incident
):
    reference = _file(api, incident=incident.pk).json()["reference"]

    posted = api["region"].post(f"/incidents/{incident.pk}/updates", {"body": "Retour prévu à 14 h."})
    assert posted.status_code == 201, posted.content
    assert posted.json()["body"] == "Retour prévu à 14 h." and posted.json()["author"] == "region"

    updates = api["teacher"].get(f"/incidents/{incident.pk}").json()["updates"]
    assert [(update["body"], update["author"]) for update in updates] == [("Retour prévu à 14 h.", "region")]
    assert api["region"].get(f"/incidents/{incident.pk}").json()["updates"][0]["author"] == "region"

    _problem(
        api["teacher"].post(f"/incidents/{incident.pk}/updates", {"body": "Et alors ?"}), 403, "forbidden"
    )
    _problem(
        api["teacher"].post(f"/incidents/{incident.pk}/resolve", {"resolution": "Fini."}), 403, "forbidden"
    )

    resolved = api["region"].post(
        f"/incidents/{incident.pk}/resolve", {"resolution": "Le serveur est rétabli."}
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert resolved.json()["resolution"] == "Le serveur est rétabli."
    run_until_empty()
    assert api["teacher"].get(f"/tickets/{reference}").json()["status"] == "resolved"
    _problem(
        api["region"].post(f"/incidents/{incident.pk}/updates", {"body": "Encore ?"}),
        409,
        "illegal_transition",
    )
    listed = api["teacher"].get("/incidents", {"status": "resolved"}).json()["items"]
    assert [(item["id"], item["concerns_me"]) for item in listed] == [(incident.pk, False)]


def test_the_school_head_attaches_a_request_to_the_incident(api, incident):
    reference = _file(api).json()["reference"]
    attached = api["head"].post(f"/tickets/{reference}/follow-incident", {"incident": incident.pk})
    assert attached.status_code == 200, attached.content
    assert "incident_followed" in [event["kind"] for event in attached.json()["events"]]
    assert "follow-incident" not in attached.json()["actions"]
    # Following the incident, it is not referred on its own.
    _problem(
        api["head"].post(f"/tickets/{reference}/escalate", {"note": "On remonte."}), 409, "follows_incident"
    )


def test_a_desk_declares_over_the_api_and_unknown_codes_are_refused(api):
    body = {
        "desk": "MA-01",
        "category": "massar",
        "scope": "MA-01-01",
        "title": "Coupure réseau à Tanger",
        "description": "Le réseau de la province est coupé.",
    }
    declared = api["region"].post("/incidents", body)
    assert declared.status_code == 201, declared.content
    assert declared.json()["scope"]["code"] == "MA-01-01" and declared.json()["following"] == 0
    assert declared.json()["id"] in [item["id"] for item in api["teacher"].get("/incidents").json()["items"]]

    region = api["region"]
    _problem(region.post("/incidents", {**body, "scope": "NOPE"}), 422, "invalid_unit", "scope")
    _problem(region.post("/incidents", {**body, "category": "nope"}), 422, "invalid_category", "category")
    _problem(region.post("/incidents", {**body, "desk": "MA-02"}), 422, "invalid_unit", "desk")
    # Beyond the units the desk answers for.
    _problem(region.post("/incidents", {**body, "scope": "MA-02"}), 422, "invalid_unit", "scope")
    _problem(api["teacher"].post("/incidents", {**body, "desk": "01001A"}), 422, "invalid_unit", "desk")


def test_the_incident_is_part_of_what_an_idempotency_key_remembers(api, incident):
    key = {"Idempotency-Key": "incident-key"}
    assert _file(api, headers=key).status_code == 201
    # Left out or null: the same body, replayed; with an incident: another body.
    replayed = _file(api, headers=key, incident=None)
    assert replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    _problem(_file(api, headers=key, incident=incident.pk), 422, "idempotency_key_reused")
