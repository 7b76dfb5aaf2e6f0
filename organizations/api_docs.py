"""The API's interactive docs, served from drf-spectacular-sidecar's files (no CDN) under the
site's Content Security Policy (scripts carry the request's nonce)."""

from __future__ import annotations

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class SwaggerUIView(SpectacularSwaggerView):
    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
