"""Prometheus metrics (`GET /metrics`, docs/operations.md, "Watching it"): what each web process measures
(request latency and responses per view), and what the database tells at each scrape (the jobs' queue and
failures, the mail intake's outcomes, service-level breaches), so that every process and host reports the
same numbers for the shared state.

Under `musanada serve` several worker processes answer: each writes its measures to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, set up by the command), and a scrape adds
them up. prometheus_client is imported on first use, after that variable is set.
"""

import os
from datetime import timedelta
from functools import cache

from django.db.models import Count
from django.utils import timezone

# Seconds: a page is expected in tens of milliseconds, a heavy export in seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# How far back the counts read from the database look.
WINDOW = timedelta(hours=24)


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@cache
def _http():
    from prometheus_client import CollectorRegistry, Counter, Histogram

    # In multiprocess mode the values live in files, not in a registry; a scrape reads them all.
    registry = None if multiprocess() else CollectorRegistry()
    latency = Histogram(
        "musanada_http_request_duration_seconds",
        "Time to answer a request, by view and method.",
        ["view", "method"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    responses = Counter(
        "musanada_http_responses",
        "Responses sent, by view, method and status code.",
        ["view", "method", "status"],
        registry=registry,
    )
    return registry, latency, responses


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request of `view` (its URL name, or "-" for no view: static files, 404s)."""
    _registry, latency, responses = _http()
    latency.labels(view, method).observe(seconds)
    responses.labels(view, method, str(status)).inc()


class _DatabaseCollector:
    """What the shared database says at scrape time. Each count reads an index, over the last WINDOW."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from musanada.jobs.runner import queue_depth
        from musanada.mail.models import InboundMessage, Outcome
        from musanada.tickets.models import Event
        from musanada.tickets.workflow import EventKind

        jobs = GaugeMetricFamily(
            "musanada_jobs",
            "Background jobs: due now, waiting for a later time, running, failed for good.",
            labels=["state"],
        )
        for state, count in queue_depth().items():
            jobs.add_metric([state], count)
        yield jobs

        since = timezone.now() - WINDOW
        mails = GaugeMetricFamily(
            "musanada_mail_received_24h",
            "Mails read by the intake in the last 24 hours, by outcome.",
            labels=["outcome"],
        )
        outcomes = dict(
            InboundMessage.objects.filter(received_at__gte=since)
            .values_list("outcome")
            .annotate(count=Count("pk"))
            .values_list("outcome", "count")
        )
        for outcome in Outcome.values:
            mails.add_metric([outcome], outcomes.get(outcome, 0))
        yield mails

        breaches = GaugeMetricFamily(
            "musanada_sla_breaches_24h", "Service-level targets missed in the last 24 hours.", labels=[]
        )
        breaches.add_metric(
            [], Event.objects.filter(kind=EventKind.SLA_BREACHED, created_at__gte=since).count()
        )
        yield breaches


def exposition() -> tuple[bytes, str]:
    """The text a Prometheus scrape reads, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry, _latency, _responses = _http()
    scraped = CollectorRegistry()
    if registry is None:
        MultiProcessCollector(scraped)
    else:
        scraped.register(_Measured(registry))
    scraped.register(_DatabaseCollector())
    return generate_latest(scraped), CONTENT_TYPE_LATEST


class _Measured:
    """This process's own measures (single-process mode: runserver, tests)."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def process_died(pid: int) -> None:
    """Tell the multiprocess files that worker `pid` is gone (gunicorn's child_exit hook)."""
    if multiprocess():
        from prometheus_client import multiprocess as files

        files.mark_process_dead(pid)
