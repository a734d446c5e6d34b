"""The API's scheduled work, registered with the jobs app."""

from datetime import timedelta

from django.utils import timezone

from musanada.api.models import IdempotencyRecord
from musanada.jobs.registry import job

# Kept a little longer than they are honoured (services.py, IDEMPOTENCY_TTL), then dropped.
KEEP = timedelta(hours=48)


@job("api.forget_idempotency_keys", every=timedelta(days=1))
def forget_idempotency_keys(payload: dict) -> None:
    IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
