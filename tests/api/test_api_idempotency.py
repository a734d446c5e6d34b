"""A retried filing never files twice: the same Idempotency-Key replays the first answer."""

from musanada.api.jobs import forget_idempotency_keys
from musanada.api.models import IdempotencyRecord
from musanada.tickets.models import Ticket

REQUEST = {"category": "massar", "subject": "Connexion", "description": "Mot de passe refusé"}


def test_the_same_key_by_the_same_caller_returns_the_first_answer_and_files_nothing_new(api):
    first = api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "retry-1"})
    again = api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"] and again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.filter(requester__username="teacher").count() == 1


def test_the_same_key_with_another_body_is_refused_and_files_nothing(api):
    api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "retry-2"})
    other = api["teacher"].post("/tickets", {**REQUEST, "subject": "Autre"}, **{"Idempotency-Key": "retry-2"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.filter(requester__username="teacher").count() == 1


def test_keys_belong_to_their_caller_and_requests_without_a_key_file_each_time(api, people):
    api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "shared"})
    head = api["head"].post("/tickets", REQUEST, **{"Idempotency-Key": "shared"})
    assert head.status_code == 201 and head.json()["requester"] == "head"
    api["teacher"].post("/tickets", REQUEST)
    api["teacher"].post("/tickets", REQUEST)
    assert Ticket.objects.filter(requester__username="teacher").count() == 3
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_filing_keeps_no_record_so_the_corrected_retry_files(api):
    refused = api["teacher"].post("/tickets", {**REQUEST, "category": "nope"}, **{"Idempotency-Key": "k"})
    assert refused.status_code == 422 and not IdempotencyRecord.objects.exists()
    fixed = api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "k"})
    assert fixed.status_code == 201


def test_a_key_that_is_not_visible_ascii_is_refused(api):
    response = api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "x" * 256})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Ticket.objects.exists()


def test_a_key_older_than_a_day_files_anew_and_the_daily_job_forgets_old_keys(api, clock):
    assert api["head"].post("/tickets", REQUEST, **{"Idempotency-Key": "stale"}).status_code == 201
    clock.advance(days=2)
    api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "old"})
    clock.advance(hours=25)
    again = api["teacher"].post("/tickets", REQUEST, **{"Idempotency-Key": "old"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Ticket.objects.filter(requester__username="teacher").count() == 2

    # The head's key is now three days old, the teacher's new one a moment.
    forget_idempotency_keys({})
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["old"]
