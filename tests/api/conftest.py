"""API callers: each persona with a personal token, and a client that speaks JSON with it."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from musanada.api.services import token_create

API = "/api/v1"


class ApiClient:
    """A Django test client that sends `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None = None, **headers):
        self.client = Client()
        self.headers = dict(headers)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path, params=None, **headers):
        return self.client.get(API + path, params or {}, headers={**self.headers, **headers})

    def post(self, path, data=None, **headers):
        return self.client.post(
            API + path,
            json.dumps(data if data is not None else {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def upload(self, path, files, data=None, **headers):
        return self.client.post(
            API + path, {"files": files, **(data or {})}, headers={**self.headers, **headers}
        )


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    # The counters live in the process's cache: one test's requests must not count against the next one's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(people):
    """api["teacher"] is an ApiClient holding a fresh personal token of the teacher, and so on."""

    class Callers(dict):
        def __missing__(self, username):
            _token, value = token_create(people[username], name="tests")
            self[username] = ApiClient(value)
            return self[username]

    return Callers()
