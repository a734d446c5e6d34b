"""Background jobs: one interface for the work that must not block a request.

    from musanada.jobs.registry import job
    from musanada.jobs.runner import enqueue

    @job("mail.send_notification")               # in the app's jobs.py, found at start-up
    def send_notification(payload): ...

    @job("mail.poll_mailboxes", every=timedelta(minutes=2))
    def poll_mailboxes(payload): ...

    enqueue("mail.send_notification", {"notification": pk}, key=f"notification:{pk}")

`registry` has no database access, so an app's `jobs.py` can import it while Django loads the apps; `runner`
holds the queue (the `Job` rows). `enqueue` writes the job in the caller's transaction (the action and its
mail commit together or not at all) and hands it to a worker after the commit: the embedded worker thread
(worker.py, "inline", the default) or Celery (celery.py, tasks.py). Failures are retried with back-off; a
job that keeps failing stays in the admin as failed.
"""
