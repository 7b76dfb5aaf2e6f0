"""The navigation of every signed-in page (``{% site_nav %}`` in base.html), rendered once per
kind of page and kept.

The navigation depends only on the language, the organisation's address, the role the member
acts in, the page (its URL name) and whether the member manages a team: a few dozen
combinations per organisation. Rendering it reverses a dozen URLs and translates as many labels;
kept per process (bounded), a page pays one dictionary look-up instead. Nothing personal is in
it: the member's name, role switcher and sign-out form stay in base.html, rendered each time.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

NAV_TEMPLATE = "includes/nav.html"
# Combinations kept per process; past this the store starts again (a page then renders once).
KEPT = 2048
_rendered: dict[tuple[Any, ...], SafeString] = {}


def nav_key(context: template.Context) -> tuple[Any, ...]:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    org = context.get("org")
    membership = context.get("membership")
    return (
        get_language(),
        get_script_prefix(),
        get_urlconf(),  # a test or bench URLconf has other pages
        getattr(org, "slug", None),
        context.get("active_role"),
        getattr(match, "url_name", None),
        bool(getattr(membership, "manages_team", False)),
    )


def render_nav(key: tuple[Any, ...]) -> SafeString:
    """``includes/nav.html`` for one combination of ``nav_key``."""
    _language, _prefix, _urlconf, slug, role, here, manages_team = key
    return mark_safe(  # noqa: S308 - a template's own (escaped) output
        get_template(NAV_TEMPLATE).render(
            {
                "org": SimpleNamespace(slug=slug),
                "active_role": role,
                "request": SimpleNamespace(resolver_match=SimpleNamespace(url_name=here)),
                "membership": SimpleNamespace(manages_team=manages_team),
            }
        )
    )


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> SafeString:
    key = nav_key(context)
    if settings.DEBUG:  # templates may change under a developer's hands
        return render_nav(key)
    nav = _rendered.get(key)
    if nav is None:
        if len(_rendered) >= KEPT:
            _rendered.clear()
        nav = _rendered[key] = render_nav(key)
    return nav
