import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musanada.config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402

# Only serving processes import this module, so only they may run the embedded jobs worker (see its
# docstring), and only when MUSANADA_JOBS_IN_WEB is on: `runserver` and a plain WSGI server do by default,
# `musanada serve` turns it off unless --with-jobs (production runs the jobs in `musanada run-jobs --loop` or
# Celery, away from the requests).
if settings.MUSANADA_JOBS_IN_WEB:
    from musanada.jobs.worker import start_embedded_worker

    start_embedded_worker()
