"""Settings of the HTTP benchmark (`musanada bench load`): the product's own settings, plus one page.

    DJANGO_SETTINGS_MODULE=musanada.demo.benchsettings musanada serve ...

`/ceiling/` is the framework's ceiling: a 25-row HTML table rendered by Django's template engine from data
held in memory, served through the product's whole middleware stack, without the database. Each operation
of the benchmark is reported as a ratio to its requests per second. The page exists only under these
settings: the product's URLconf (musanada.config.urls) has no such route, and tests/test_bench.py checks
that `/ceiling/` answers 404 there.
"""

from musanada.config.settings import *  # noqa: F403

ROOT_URLCONF = "musanada.demo.benchurls"
