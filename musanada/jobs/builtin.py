"""The jobs that come with the product. Other apps register theirs in their own `jobs.py`."""

from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from musanada.core import files
from musanada.jobs.models import Job, JobStatus
from musanada.jobs.registry import job


@job("jobs.purge_done", every=timedelta(days=1))
def purge_done(payload: dict) -> None:
    """Forget finished jobs after MUSANADA_JOBS_KEEP_DAYS; failed ones stay until an administrator acts."""
    cutoff = timezone.now() - timedelta(days=settings.MUSANADA_JOBS_KEEP_DAYS)
    Job.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).delete()


@job("files.remove_abandoned", every=timedelta(hours=1))
def remove_abandoned(payload: dict) -> None:
    """Delete the files a killed process wrote for a transaction that never committed (core.files)."""
    files.remove_abandoned(default_storage)
