"""The jobs that come with the product. Other apps register theirs in their own `jobs.py`."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from musanada.jobs.models import Job, JobStatus
from musanada.jobs.registry import job


@job("jobs.purge_done", every=timedelta(days=1))
def purge_done(payload: dict) -> None:
    """Forget finished jobs after MUSANADA_JOBS_KEEP_DAYS; failed ones stay until an administrator acts."""
    cutoff = timezone.now() - timedelta(days=settings.MUSANADA_JOBS_KEEP_DAYS)
    Job.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).delete()
