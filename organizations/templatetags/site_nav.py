"""The navigation of every signed-in page (``{% site_nav %}``) and the header around it
(``{% site_header %}`` in base.html), each rendered once per kind of page and kept.

The navigation depends only on the language, the organisation's address, the role the member
acts in, the page (its URL name) and whether the member manages a team: a few dozen
combinations per organisation. Rendering it reverses a dozen URLs and translates as many labels;
kept per process (bounded), a page pays one dictionary look-up instead. Nothing personal is in
it.

The header (``includes/site_header.html``: the brand, the navigation, the role switcher, the
organisation and the member's menu) depends on the same, the organisation's name, the member's
roles and whether anyone is signed in. What is personal or per request, the member's name and the
CSRF token, stands in the kept header as two marks, filled in on every page. A mark begins with
``<``, which the template's escaped text never holds, so a name cannot be taken for a mark.
Nothing personal is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

NAV_TEMPLATE = "includes/nav.html"
HEADER_TEMPLATE = "includes/site_header.html"
# Combinations kept per process, per store; past this a store starts again (a page then renders
# once).
KEPT = 2048
_rendered: dict[tuple[Any, ...], SafeString] = {}
_headers: dict[tuple[Any, ...], SafeString] = {}
# A page's context as the frame reads it: the template's, or the values of its context
# processors as a mapping (``organizations.page_frame``, a page written without the engine).
PageContext = template.Context | Mapping[str, Any]
NAME_MARK = mark_safe("<pathwise:name>")
TOKEN_MARK = mark_safe("<pathwise:csrf>")


def nav_key(context: PageContext) -> tuple[Any, ...]:
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


def header_key(context: PageContext) -> tuple[Any, ...]:
    org = context.get("org")
    membership = context.get("membership")
    user = context.get("user")
    return (
        *nav_key(context),
        getattr(org, "name", None),
        tuple(membership.roles) if membership is not None else None,
        bool(getattr(user, "is_authenticated", False)),
    )


def render_header(key: tuple[Any, ...]) -> SafeString:
    """``includes/site_header.html`` for one combination of ``header_key``, with the marks in
    place of the member's name and the CSRF token."""
    *nav, org_name, roles, signed_in = key
    _language, _prefix, _urlconf, slug, role, here, manages_team = nav
    return mark_safe(  # noqa: S308 - a template's own (escaped) output
        get_template(HEADER_TEMPLATE).render(
            {
                "org": SimpleNamespace(slug=slug, name=org_name) if slug is not None else None,
                "membership": (
                    SimpleNamespace(roles=list(roles), manages_team=manages_team)
                    if roles is not None
                    else None
                ),
                "active_role": role,
                "request": SimpleNamespace(resolver_match=SimpleNamespace(url_name=here)),
                "user": SimpleNamespace(is_authenticated=signed_in, display_name=NAME_MARK),
                "csrf_token": TOKEN_MARK,
            }
        )
    )


def _kept(
    store: dict[tuple[Any, ...], SafeString],
    key: tuple[Any, ...],
    render: Callable[[tuple[Any, ...]], SafeString],
) -> SafeString:
    if settings.DEBUG:  # templates may change under a developer's hands
        return render(key)
    kept = store.get(key)
    if kept is None:
        if len(store) >= KEPT:
            store.clear()
        kept = store[key] = render(key)
    return kept


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> SafeString:
    return _kept(_rendered, nav_key(context), render_nav)


@register.simple_tag(takes_context=True)
def site_header(context: PageContext) -> SafeString:
    token = context.get("csrf_token")
    if not token or str(token) == "NOTPROVIDED":
        # No token to fill in (a template rendered without its request): the template itself,
        # in this page's context.
        header = get_template(HEADER_TEMPLATE).template  # type: ignore[attr-defined]
        if not isinstance(context, template.Context):
            context = template.Context(dict(context))
        return mark_safe(header.render(context))  # noqa: S308 - the template's own output
    key = header_key(context)
    header = _kept(_headers, key, render_header)
    name = conditional_escape(context["user"].display_name) if key[-1] else ""
    return mark_safe(  # noqa: S308 - the kept header's marks filled with escaped text
        header.replace(NAME_MARK, name).replace(TOKEN_MARK, conditional_escape(token))
    )
