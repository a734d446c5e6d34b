"""Schemathesis against the live OpenAPI document, through the WSGI application, with a valid token.

Every operation gets a few generated requests (valid and invalid ones): no answer may be a 5xx, and every
answer must match the document (status code, media type, headers, body schema). Bounded to stay well under a
minute: `MAX_EXAMPLES` requests per operation.
"""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from musanada.api.schemas import REFERENCE_PATTERN
from musanada.api.services import token_create
from musanada.tickets import services

MAX_EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Django's WSGI application itself: musanada.config.wsgi would also start the embedded jobs worker thread.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def wsgi_in_test_transaction():
    # The WSGI handler closes "old" connections around each request, which would end the test's transaction;
    # Django's test client unhooks the same signal for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def caller(people, units, categories, settings, wsgi_in_test_transaction):
    """The school head's token, and a ticket on their desk for the generated requests to act on."""
    settings.MUSANADA_API_RATE = "100000/minute"
    _token, value = token_create(people["head"], name="schemathesis")
    ticket = services.ticket_file(
        people["teacher"], unit=units["01001A"], category=categories["massar"], subject="s", description="d"
    )
    # The product compresses its answers for clients that accept gzip (GZipMiddleware); schemathesis's WSGI
    # transport would not decompress them, so it asks for them plain, as it may.
    return {"Authorization": f"Bearer {value}", "Accept-Encoding": "identity"}, ticket.reference


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_openapi_document_says_and_never_with_a_server_error(case, caller):
    headers, reference = caller
    parameters = case.path_parameters or {}
    # A generated reference is never a real ticket: point the well-formed ones at one so actions run for real.
    if isinstance(parameters.get("reference"), str) and re.match(REFERENCE_PATTERN, parameters["reference"]):
        parameters["reference"] = reference
    case.call_and_validate(headers=headers, checks=CHECKS)
