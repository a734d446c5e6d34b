"""What load balancers and monitoring ask: is the process alive (`/health`), can it serve (`/ready`), and its
measures (`/metrics`, for Prometheus). docs/operations.md, "Watching it"."""

import hmac
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from musanada.core import metrics, replica

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


@never_cache
def ready(request):
    """Readiness: 200 when the database, the cache, the attachment storage and (with Celery) the broker all
    answer; 503 naming those that do not (the reasons go to the log, not to the caller). With a replica,
    its state and lag are given too, without making the node unready."""
    results = {}
    for name, check in _checks().items():
        try:
            check()
        except Exception:
            logger.exception("readiness: %s is not available", name)
            results[name] = "failed"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    answer = {"status": "ready" if ready else "not ready", "checks": results}
    if replica.configured():
        # Said, not required: while the replica lags or is down, dashboards and exports read the primary.
        replica.forget_state()
        state = replica.state()
        answer["replica"] = {
            "state": "failed" if state.lag_seconds is None else "ok" if state.usable else "lagging",
            "lag_seconds": state.lag_seconds,
        }
    return JsonResponse(answer, status=200 if ready else 503)


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
