"""What a caller is told when something is refused: problem documents with stable codes, and no leaks."""

import pytest
from django.test import Client

from musanada.api.auth import CallerThrottle
from tests.api.conftest import ApiClient
from tests.helpers import file_request

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code and body["type"].endswith(code)
    assert body["detail"] and body["title"]
    return body


@pytest.fixture
def ticket(people):
    return file_request(people["teacher"])


@pytest.fixture
def outsider_ticket(people):
    return file_request(people["outsider_teacher"])


def test_a_caller_of_one_academy_gets_404_for_a_ticket_of_another_exactly_like_a_missing_one(
    api, ticket, outsider_ticket
):
    for username in ("teacher", "head", "province", "region", "supervisor", "observer"):
        hidden = problem(api[username].get(f"/tickets/{outsider_ticket.reference}"), 404, "not_found")
        missing = problem(api[username].get("/tickets/MSN-2026-999999"), 404, "not_found")
        assert hidden == missing
        acted = api[username].post(f"/tickets/{outsider_ticket.reference}/reply", {"body": "x"})
        assert problem(acted, 404, "not_found") == missing
    problem(api["outsider"].get(f"/tickets/{ticket.reference}"), 404, "not_found")


def test_a_caller_of_one_academy_never_finds_a_ticket_of_another_in_its_list(api, ticket, outsider_ticket):
    for username in ("teacher", "head", "province", "region", "supervisor", "observer", "central"):
        listed = api[username].get("/tickets", {"limit": 200}).json()["items"]
        assert outsider_ticket.reference not in [item["reference"] for item in listed]
        filtered = api[username].get("/tickets", {"origin_unit": "02001D"})
        if username == "central":
            # A central service receives from the whole country: the unit is within reach, its tickets not.
            assert filtered.json()["items"] == []
        else:
            # As on the web: a unit outside the caller's reach is refused, whether it exists or not.
            problem(filtered, 422, "unit_out_of_reach")
            problem(api[username].get("/tickets", {"origin_unit": "NOSUCH"}), 422, "unit_out_of_reach")
    outsider_list = api["outsider_head"].get("/tickets").json()["items"]
    assert [item["reference"] for item in outsider_list] == [outsider_ticket.reference]


def test_no_credentials_or_a_bad_token_get_401_with_a_bearer_challenge(api, people):
    anonymous = ApiClient()
    body = problem(anonymous.get("/me"), 401, "unauthenticated")
    assert body["errors"] == []
    response = ApiClient("msn_not-a-real-token").get("/me")
    problem(response, 401, "invalid_token")
    assert response["WWW-Authenticate"].startswith("Bearer")
    problem(ApiClient("some-other-kind-of-token").get("/tickets"), 401, "invalid_token")


def test_a_revoked_token_or_a_disabled_account_is_refused(api, people):
    from musanada.api.services import token_create, token_revoke

    token, value = token_create(people["head"], name="robot")
    assert ApiClient(value).get("/me").status_code == 200
    token_revoke(people["head"], token.pk)
    problem(ApiClient(value).get("/me"), 401, "invalid_token")

    _token, value = token_create(people["head2"], name="robot")
    people["head2"].is_active = False
    people["head2"].save(update_fields=["is_active"])
    problem(ApiClient(value).get("/me"), 401, "invalid_token")


def test_a_caller_who_sees_the_ticket_but_may_not_act_gets_403(api, ticket):
    body = problem(
        api["observer"].post(f"/tickets/{ticket.reference}/resolve", {"resolution": "x"}), 403, "forbidden"
    )
    assert body["errors"] == []
    problem(api["teacher"].post(f"/tickets/{ticket.reference}/take"), 403, "forbidden")


def test_an_action_not_possible_in_the_ticket_status_or_on_an_old_version_gets_409(api, ticket):
    problem(api["teacher"].post(f"/tickets/{ticket.reference}/close"), 409, "illegal_transition")
    api["head"].post(f"/tickets/{ticket.reference}/take", {"version": ticket.version})
    stale = api["head"].post(f"/tickets/{ticket.reference}/note", {"body": "x", "version": ticket.version})
    problem(stale, 409, "conflict")
    assert len(api["head"].get(f"/tickets/{ticket.reference}").json()["events"]) == 2


def test_invalid_input_gets_422_with_every_field_at_fault(api, ticket):
    body = problem(api["teacher"].post("/tickets", {"subject": 3, "priority": "asap"}), 422, "invalid")
    fields = {error["field"] for error in body["errors"]}
    assert {"category", "description", "priority"} <= fields
    refused = problem(
        api["head"].post(f"/tickets/{ticket.reference}/resolve", {"resolution": "  "}), 422, "required"
    )
    assert refused["errors"] == [{"field": "resolution", "message": refused["detail"]}]
    wrong_category = api["teacher"].post("/tickets", {"category": "nope", "subject": "s", "description": "d"})
    assert problem(wrong_category, 422, "invalid_category")["errors"][0]["field"] == "category"
    nul = problem(api["head"].post(f"/tickets/{ticket.reference}/note", {"body": "a\u0000b"}), 422, "invalid")
    assert nul["errors"][0]["field"] == "body"
    problem(api["head"].get("/tickets", {"cursor": "not-a-cursor"}), 422, "invalid_cursor")
    problem(api["head"].get("/tickets", {"status": "lost"}), 422, "invalid")


def test_a_body_that_is_not_json_gets_400(api):
    response = api["teacher"].client.post(
        "/api/v1/tickets", "{not json", content_type="application/json", headers=api["teacher"].headers
    )
    problem(response, 400, "malformed_request")


def test_messages_follow_accept_language_else_the_token_users_language(api, people, ticket):
    people["head"].language = "fr"
    people["head"].save(update_fields=["language"])
    caller = api["head"]
    in_french = problem(
        caller.post(f"/tickets/{ticket.reference}/resolve", {"resolution": ""}), 422, "required"
    )
    in_english = problem(
        caller.post(f"/tickets/{ticket.reference}/resolve", {"resolution": ""}, **{"Accept-Language": "en"}),
        422,
        "required",
    )
    assert in_english["detail"] == "Explain the resolution to the requester."
    assert in_french["detail"] != in_english["detail"]


def test_too_many_requests_get_429_with_retry_after_per_token(api, people, settings):
    settings.MUSANADA_API_RATE = "3/minute"
    caller = api["teacher"]
    assert [caller.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = caller.get("/me")
    problem(limited, 429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another token of someone else has its own allowance.
    assert api["head"].get("/me").status_code == 200


def test_the_limit_slides_and_retry_after_says_when_the_oldest_request_leaves_it(api, settings, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(CallerThrottle, "timer", staticmethod(lambda: now[0]))
    settings.MUSANADA_API_RATE = "2/minute"
    caller = api["teacher"]
    assert caller.get("/me").status_code == 200
    now[0] += 40
    assert caller.get("/me").status_code == 200
    now[0] += 10
    limited = caller.get("/me")
    # The first request leaves the last minute 10 seconds from now.
    assert "10" in problem(limited, 429, "rate_limited")["detail"] and limited["Retry-After"] == "10"
    now[0] += 10
    assert caller.get("/me").status_code == 200


def test_the_web_session_has_its_own_allowance_per_user(people, settings):
    settings.MUSANADA_API_RATE = "2/hour"
    client = Client()
    client.force_login(people["head"])
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]


def test_the_web_session_works_and_needs_the_csrf_token_to_change_anything(people, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["head"])
    assert client.get("/api/v1/me").json()["authenticated_by"] == "session"
    refused = client.post(f"/api/v1/tickets/{ticket.reference}/take", "{}", content_type="application/json")
    problem(refused, 403, "csrf_failed")
    client.get("/")  # the page sets the CSRF cookie, as a page calling the API would have it
    token = client.cookies["csrftoken"].value
    taken = client.post(
        f"/api/v1/tickets/{ticket.reference}/take",
        "{}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert taken.status_code == 200 and taken.json()["assignee"] == "head"


def test_the_docs_page_loads_everything_from_our_own_static_files(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/ninja/swagger-ui.css" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert '"validatorUrl": null' in page
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "Musanada API"
    assert "application/problem+json" in schema["paths"]["/api/v1/me"]["get"]["responses"]["401"]["content"]
