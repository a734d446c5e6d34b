"""What load balancers and monitoring ask: is the process alive (`/health`), can it serve (`/ready`), and its
measures (`/metrics`, for Prometheus); and the same in words for administrators (`/status/`).
docs/operations.md, "Watching it"."""

import hmac
import logging
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from musanada.core import metrics, replica
from musanada.jobs.runner import queue_depth
from musanada.tickets import policy

logger = logging.getLogger("musanada.watch")


@never_cache
def health(request):
    """Liveness: the process answers. Nothing else is asked, so that a database outage does not make a load
    balancer restart every web process."""
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    # A shared cache (Redis) holds the rate limits and sign-in lockouts of every web node.
    key, value = f"musanada:ready:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def _broker() -> None:
    from musanada.jobs.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    # Attachments are written by every web node and read by all: a file written and removed proves it.
    name = default_storage.save(f"ready/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)


def _checks() -> dict:
    checks = {"database": _database, "cache": _cache, "storage": _storage}
    if settings.MUSANADA_JOBS_BACKEND == "celery":
        checks["broker"] = _broker
    return checks


def service_state() -> dict:
    """What the service's parts answer now: each check `ok` or `failed` (the reasons go to the log), and with
    a replica configured its state (`ok`, `lagging`, `failed`) and lag in seconds."""
    checks = {}
    for name, check in _checks().items():
        try:
            check()
        except Exception:
            logger.exception("readiness: %s is not available", name)
            checks[name] = "failed"
        else:
            checks[name] = "ok"
    state = {"ready": all(result == "ok" for result in checks.values()), "checks": checks, "replica": None}
    if replica.configured():
        replica.forget_state()
        measured = replica.state()
        state["replica"] = {
            "state": "failed" if measured.lag_seconds is None else "ok" if measured.usable else "lagging",
            "lag_seconds": measured.lag_seconds,
        }
    return state


@never_cache
def ready(request):
    """Readiness: 200 when the database, the cache, the attachment storage and (with Celery) the broker all
    answer; 503 naming those that do not (the reasons go to the log, not to the caller). With a replica,
    its state and lag are given too, without making the node unready: while it lags or is down, dashboards
    and exports read the primary."""
    state = service_state()
    answer = {"status": "ready" if state["ready"] else "not ready", "checks": state["checks"]}
    if state["replica"] is not None:
        answer["replica"] = state["replica"]
    return JsonResponse(answer, status=200 if state["ready"] else 503)


# The checks as the status page names them.
CHECK_LABELS = {
    "database": _("Database"),
    "cache": _("Shared cache"),
    "storage": _("Attachment storage"),
    "broker": _("Job broker"),
}


@login_required
@never_cache
def service_status(request):
    """The service's status for administrators: the readiness checks, the replica's lag and the jobs' queue
    as this web node sees them (the same facts as /ready and /metrics, in words)."""
    if not policy.sees_service_status(request.user):
        raise Http404
    state = service_state()
    context = {
        "state": state,
        "checks": [(CHECK_LABELS[name], result == "ok") for name, result in state["checks"].items()],
        "queue": queue_depth(),
        "max_lag": settings.MUSANADA_REPLICA_MAX_LAG_SECONDS,
    }
    return render(request, "web/service_status.html", context, status=200 if state["ready"] else 503)


@never_cache
def metrics_view(request):
    """Prometheus metrics, for a scraper holding MUSANADA_METRICS_TOKEN (as a bearer token); without a token
    configured the address does not exist."""
    token = settings.MUSANADA_METRICS_TOKEN
    if not token:
        raise Http404
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    return HttpResponse(body, content_type=content_type)
