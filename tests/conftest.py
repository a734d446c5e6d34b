"""One fixed org tree and named personas (see musanada/demo/people.py), loaded once per test database."""

import os
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from musanada.demo.people import ensure_demo_people
from musanada.org.models import Category, OrgUnit
from musanada.org.services import load_national_tree

PASSWORD = "demo-password-2026"


def pytest_configure(config):
    from django.conf import settings

    # Hashing strength is not under test; a fast hasher keeps persona creation cheap.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production serves hashed, compressed files made by `collectstatic`; the tests run without that step and
    # serve the source files through the finders (test_pages.py checks the production setup on its own).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = None


def _load_reference_data():
    if not OrgUnit.objects.filter(code="01001A").exists():
        load_national_tree()
        ensure_demo_people(PASSWORD)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _load_reference_data()


@pytest.fixture(autouse=True)
def _reference_data(request):
    # Tests on a transactional database start from an emptied database: reload what the others share.
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        _load_reference_data()


@pytest.fixture
def people(db, django_user_model):
    """The personas by username: teacher, head, head2, province, province2, region, supervisor, central,
    central2, observer, outsider, outsider_head, outsider_teacher, admin."""
    return {user.username: user for user in django_user_model.objects.all()}


@pytest.fixture
def units(db):
    return {unit.code: unit for unit in OrgUnit.objects.all()}


@pytest.fixture
def categories(db):
    return {category.code: category for category in Category.objects.select_related("owner")}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with no counted events (core.throttle: sign-in failures, reset requests, bad
    tokens): the cache outlives a test."""
    cache.clear()


@pytest.fixture
def redis_broker(settings):
    """The Redis of the Celery tests: skipped with the reason when unreachable, except in CI (CI=true)."""
    import redis

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required in CI at {settings.CELERY_BROKER_URL}: {error}")
        pytest.skip(f"Redis is not reachable at {settings.CELERY_BROKER_URL} ({error}); start redis-server")
    return settings.CELERY_BROKER_URL


@pytest.fixture
def clock(monkeypatch):
    """The clock, the one boundary tests may patch: frozen at the instant the test starts, then set
    (`clock.now = …`) or moved (`clock.advance(days=1)`) by hand before acting through the services.

    What took its own copy of `timezone.now` when it loaded reads the same clock: the model fields declared
    with `default=timezone.now` (jobs, API tokens and idempotency keys) and django-axes (the sign-in lockout).
    """

    class Clock:
        now = timezone.now()

        def advance(self, **delta):
            self.now += timedelta(**delta)

    frozen = Clock()
    real_now = timezone.now

    def read():
        return frozen.now

    monkeypatch.setattr(timezone, "now", read)
    monkeypatch.setattr("axes.handlers.proxy.now", read)
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.default is real_now:
                # Field.get_default calls the cached `_get_default`, which holds the function it was given.
                monkeypatch.setattr(field, "_get_default", read)
    return frozen
