import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musanada.config.settings")
application = get_wsgi_application()

# Only serving processes import this module, so only they run the embedded jobs worker (see its docstring).
from musanada.jobs.worker import start_embedded_worker  # noqa: E402

start_embedded_worker()
