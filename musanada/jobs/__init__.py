"""Background jobs: one interface for the work that must not block a request.

    from musanada.jobs import enqueue, job

    @job("mail.send_notification")               # in the app's jobs.py, found at start-up
    def send_notification(payload): ...

    @job("mail.poll_mailboxes", every=timedelta(minutes=2))
    def poll_mailboxes(payload): ...

    enqueue("mail.send_notification", {"notification": pk}, key=f"notification:{pk}")

`enqueue` writes the job in the caller's transaction (the action and its mail commit together or not at all)
and hands it to the backend after the commit: the embedded worker thread ("inline", the default) or Celery.
Failures are retried with back-off; a job that keeps failing stays in the admin as failed.
"""

from musanada.jobs.registry import job

__all__ = ["enqueue", "job", "run_due_jobs", "run_job"]


def __getattr__(name):
    # The runner imports the models, which cannot be loaded while Django is still importing the apps.
    if name in {"enqueue", "run_due_jobs", "run_job"}:
        from musanada.jobs import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
