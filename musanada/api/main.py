"""The API v1 object: its routers, its ways in, its errors, and its OpenAPI document."""

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from musanada.api import problems
from musanada.api.auth import API_AUTH, CallerThrottle
from musanada.api.routers import articles, incidents, reference, tickets

DESCRIPTION = """\
Musanada's REST API: file and follow help-desk requests as the caller, with the same rules as the web pages.

Authenticate with a personal token (`Authorization: Bearer msn_…`, made on the "API tokens" page or with
`musanada create-token`), or with the web session (unsafe methods need the CSRF token). Errors are RFC 9457
problem documents (`application/problem+json`) with a stable `code`. See docs/api.md.
"""


class MusanadaAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        # Errors are problem documents: say so with their own media type (RFC 9457), so that clients and
        # schema checkers expect what the server sends.
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
                    if str(status) == "429":
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds until the limit resets",
                                "schema": {"type": "integer"},
                            }
                        }
        return schema


api = MusanadaAPI(
    title="Musanada API",
    version="1.0.0",
    description=DESCRIPTION,
    auth=API_AUTH,
    # On the API, so that every router's operations inherit it.
    throttle=CallerThrottle(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    # "ninja" is in INSTALLED_APPS, so the page loads Swagger UI from our static files; no validator badge,
    # which would call swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)
problems.install(api)
api.add_router("", reference.router)
api.add_router("", tickets.router)
api.add_router("", articles.router)
api.add_router("", incidents.router)
