"""A whole page, its frame written in Python: for views whose content is already HTML made in
Python (``page_response``), the bytes ``base.html`` writes around the same blocks.

Rendering ``base.html`` for such a page ran the template engine for a handful of nodes and the
five context processors for a few values: about a quarter of a millisecond a page, more than
the frame's own parts (``page_chrome``, kept per catalogue). Here the frame's tags are called
directly with the values those context processors give (the request, the CSRF token, the CSP
nonce, the user, the messages, the organisation, the membership and the active role), so the
output is the template's, byte for byte: ``tests/organizations/test_page_frame.py`` holds it to
``base.html`` rendered with the same blocks, signed in or not, with and without messages.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.templatetags.static import static
from django.utils.html import conditional_escape

from organizations.csrf_token import get_token
from organizations.roles import active_role
from organizations.templatetags.page_chrome import frame_body, frame_foot, frame_head, frame_top

_END = "\n</body>\n</html>\n"  # after the scripts block, as ``base.html`` ends


def frame_context(request: HttpRequest, csrf_token: str | None = None) -> dict[str, Any]:
    """What the frame's tags read of a page's context, as the context processors give it
    (``settings.TEMPLATES``): csrf (always on), request, csp, auth, messages, tenant.
    ``csrf_token``: the page's own, when its forms already carry one (as a view's context
    would give it, in place of the processor's)."""
    membership = getattr(request, "membership", None)
    return {
        "csrf_token": get_token(request) if csrf_token is None else csrf_token,
        "request": request,
        "csp_nonce": get_nonce(request),
        "user": request.user if hasattr(request, "user") else AnonymousUser(),
        "messages": get_messages(request),
        "org": getattr(request, "org", None),
        "membership": membership,
        "active_role": active_role(request) if membership is not None else None,
    }


class Blocks(TypedDict, total=False):
    """A page's blocks besides its title and content, and its own CSRF token (``page_html``)."""

    head: str
    scripts: str
    csrf_token: str | None


def page_html(request: HttpRequest, title: str, content: str, **blocks: Unpack[Blocks]) -> str:
    """``base.html`` with its blocks ``title``, ``head``, ``content`` and ``scripts``, each HTML
    written as it is (a title from ``{% translate "…" %}`` is ``words().literal("…")``);
    ``csrf_token`` as ``frame_context`` takes it."""
    context = frame_context(request, blocks.get("csrf_token"))
    head, scripts = blocks.get("head", ""), blocks.get("scripts", "")
    return (
        f"{frame_top(context)}{title}{frame_head(context)}{head}"
        f"{frame_body(context)}{content}{frame_foot(context)}{scripts}{_END}"
    )


def page_response(
    request: HttpRequest, title: str, content: str, **blocks: Unpack[Blocks]
) -> HttpResponse:
    """``page_html`` as the response ``render`` gives (HTML, UTF-8, status 200)."""
    return HttpResponse(page_html(request, title, content, **blocks))


def plotly_script(request: HttpRequest) -> str:
    """The charts' script for a page's ``head`` block, as the chart pages' templates write it
    (``<script src="{% static 'vendor/plotly/plotly.min.js' %}" nonce="{{ csp_nonce }}"
    defer></script>``)."""
    src = conditional_escape(static("vendor/plotly/plotly.min.js"))
    nonce = conditional_escape(str(get_nonce(request)))  # ``{{ csp_nonce }}``: None written
    return f'<script src="{src}" nonce="{nonce}" defer></script>'


def csrf_input(token: str) -> str:
    """What ``{% csrf_token %}`` writes for the page's ``token``: a form's hidden field."""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(token)}">'
