"""What monitoring asks of a web process: liveness, readiness of what it depends on, Prometheus metrics
behind a token, and the request id that ties a request's log lines to those of the jobs it queued.
(tests/test_serve.py checks the metrics of several gunicorn workers added up, and the JSON lines.)"""

import json
import logging

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from musanada.core.logs import JsonFormatter, RequestIdFilter, request_id_bound
from musanada.jobs.models import Job, JobStatus
from musanada.jobs.runner import enqueue, run_job
from musanada.tickets.models import Ticket
from musanada.web.views import watch
from tests.helpers import file_request


def test_health_answers_without_asking_anything_else(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_checks_the_database_the_cache_and_the_storage(client, db):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok"},
    }


@pytest.fixture
def unwritable_storage(settings, tmp_path):
    """Makes the attachment store one that cannot be written: a file where its folder should be."""

    def block():
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("not a folder")
        default = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked)},
        }
        settings.STORAGES = {**settings.STORAGES, "default": default}

    return block


def test_ready_names_what_fails_and_answers_503(client, db, unwritable_storage):
    unwritable_storage()
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "cache": "ok", "storage": "failed"},
    }


def test_ready_asks_the_broker_when_jobs_go_through_celery(client, settings, redis_broker, monkeypatch):
    settings.MUSANADA_JOBS_BACKEND = "celery"
    assert client.get("/ready").json()["checks"]["broker"] == "ok"
    from musanada.jobs.celery import app

    # A broker nobody listens on (port 9 of this machine).
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    response = client.get("/ready")
    assert response.status_code == 503 and response.json()["checks"]["broker"] == "failed"


def test_metrics_exist_only_with_a_token_and_only_for_its_holder(client, settings, people):
    settings.MUSANADA_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.MUSANADA_METRICS_TOKEN = "t0ken-for-prometheus"
    refused = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")

    client.get(reverse("login"))
    enqueue("jobs.purge_done")
    Job.objects.create(name="jobs.purge_done", status=JobStatus.FAILED)
    scraped = client.get("/metrics", headers={"Authorization": "Bearer t0ken-for-prometheus"})
    assert scraped.status_code == 200
    text = scraped.content.decode()
    assert 'musanada_http_responses_total{method="GET",status="200",view="login"}' in text
    assert 'musanada_http_request_duration_seconds_bucket{le="0.005",method="GET",view="login"}' in text
    assert 'musanada_jobs{state="due"} 1.0' in text and 'musanada_jobs{state="failed"} 1.0' in text
    assert 'musanada_mail_received_24h{outcome="ticket_filed"} 0.0' in text
    assert "musanada_sla_breaches_24h 0.0" in text


@pytest.mark.parametrize(
    "offered, kept",
    [
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f0", True),  # nginx's $request_id
        ("edge-01.request_7", True),
        ("short", False),
        ("x" * 65, False),
        ("id with spaces", False),
        ("forged\nline", False),
    ],
)
def test_every_response_carries_its_request_id_and_only_a_well_formed_one_is_taken(client, offered, kept):
    response = client.get("/health", headers={"X-Request-ID": offered})
    given = response["X-Request-ID"]
    assert (given == offered) is kept
    if not kept:
        assert len(given) == 32 and given.isalnum()


def test_the_jobs_a_request_queues_carry_its_id_into_their_log_lines(client, people, caplog):
    client.force_login(people["teacher"])
    client.get(reverse("home"))  # a first request, so that the next one's id is its own
    response = client.post(
        reverse("ticket-new"),
        {
            "unit": people["teacher"].memberships.first().unit_id,
            "category": Ticket._meta.get_field("category").related_model.objects.get(code="massar").pk,
            "subject": "Massar ne s'ouvre pas",
            "description": "Page blanche.",
            "priority": "normal",
        },
    )
    assert response.status_code == 302
    queued = list(Job.objects.exclude(request_id=""))
    assert queued and {job.request_id for job in queued} == {response["X-Request-ID"]}

    # A job that fails writes its warning as part of that request.
    job = enqueue("jobs.purge_done", {"unexpected": "payload"})
    Job.objects.filter(pk=job.pk).update(request_id=response["X-Request-ID"], name="no.such.handler")
    with caplog.at_level(logging.WARNING, logger="musanada.jobs"):
        caplog.handler.addFilter(RequestIdFilter())
        run_job(job.pk)
    assert [record.request_id for record in caplog.records] == [response["X-Request-ID"]]


def test_a_json_line_holds_the_time_level_logger_message_request_id_and_extras():
    record = logging.LogRecord("musanada.mail", logging.WARNING, __file__, 1, "mail %s refused", ("x",), None)
    record.mailbox = "aref-rsk"
    with request_id_bound("req-0123456789"):
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "musanada.mail"
    assert line["message"] == "mail x refused" and line["request_id"] == "req-0123456789"
    assert line["mailbox"] == "aref-rsk" and line["time"].endswith("+00:00")


def test_filing_through_the_services_outside_a_request_queues_jobs_without_an_id(people):
    file_request(people["teacher"])
    assert set(Job.objects.values_list("request_id", flat=True)) <= {""}


def test_administrators_read_the_service_status_in_words_and_nobody_else_does(
    client, people, unwritable_storage
):
    client.force_login(people["supervisor"])
    assert client.get(reverse("service-status")).status_code == 404
    assert reverse("service-status") not in client.get(reverse("home")).content.decode()

    enqueue("jobs.purge_done")
    Job.objects.create(name="jobs.purge_done", status=JobStatus.FAILED)
    client.force_login(people["admin"])
    assert reverse("service-status") in client.get(reverse("home")).content.decode()
    page = client.get(reverse("service-status"))
    assert page.status_code == 200
    labels = watch.CHECK_LABELS
    assert page.context["checks"] == [
        (labels["database"], True),
        (labels["cache"], True),
        (labels["storage"], True),
    ]
    assert page.context["queue"] == {"due": 1, "waiting": 0, "running": 0, "failed": 1}
    assert page.context["state"]["replica"] is None
    no_replica = gettext("No replica configured: dashboards and exports read the primary database.")
    assert no_replica in page.content.decode()

    unwritable_storage()
    failing = client.get(reverse("service-status"))
    assert failing.status_code == 503
    assert (labels["storage"], False) in failing.context["checks"]
