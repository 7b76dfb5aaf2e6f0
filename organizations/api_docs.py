"""The API's interactive docs, served from drf-spectacular-sidecar's files (no CDN) under the
site's Content Security Policy (scripts carry the request's nonce)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from django.conf import settings
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class SwaggerUIView(SpectacularSwaggerView):
    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"


def redoc_view(**kwargs: Any) -> Any:
    """Redoc indexes its search in a Web Worker it creates from a ``blob:`` URL, so this page
    alone also allows ``worker-src blob:``. Its footer logo points at Redocly's CDN; the
    site's ``img-src`` keeps blocking it, so the page makes no request outside the site."""
    policy = cast(dict[str, Collection[str] | str], dict(settings.SECURE_CSP))
    policy["worker-src"] = [CSP.SELF, "blob:"]
    return csp_override(policy)(RedocView.as_view(**kwargs))


ERROR_RESPONSES = {
    "400": "Invalid input: `errors` names each field.",
    "401": "The API key is revoked or expired, or its admin no longer is one.",
    "403": "Not signed in, a role that cannot use this endpoint, or a read-only key writing.",
    "404": "No such organisation (or not a member), or no such object in it.",
    "429": "Too many requests with this API key; retry after the `Retry-After` seconds.",
}


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every tenant operation documents the error
    answers the base gives every endpoint (middleware, key checks, throttle, validation), with
    the one error body (``organizations.api.ErrorSerializer``)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if "Error" not in schemas:
        return result
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/orgs/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
