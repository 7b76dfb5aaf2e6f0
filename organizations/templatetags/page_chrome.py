"""The frame of every page (``base.html``): its head, the opening of its body and its footer,
written by four tags around the template's blocks, from parts made once and kept.

What the frame holds is fixed but for a few values: the addresses of the stylesheet, the icon
and the scripts (fixed for the process once the static files' storage is set up), three words
of the active catalogue, whether htmx's debugging script is wanted (``DEBUG``), and per request
the page's language, the organisation's name, the CSP nonce, the CSRF token, the header (kept
per kind of page by ``site_header``) and the messages. Rendered as template tags and variables,
the frame cost a page some 1,800 Python calls (each ``{% static %}`` asks the storage, each
``{% translate %}`` walks the catalogues, htmx's tag formats its script, and every node is
rendered through the engine); kept, it is a look-up and a few joins.

The kept parts are made per catalogue (``organizations.words``) and per ``DEBUG``, and
forgotten when a setting changes (tests change the static files' storage or address). Values
are escaped as the template escaped them: the output is the template's, byte for byte (held
by ``tests/organizations/test_page_chrome.py`` against the template as it was).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_noop
from django_htmx.jinja import htmx_script

from organizations.templatetags.site_nav import PageContext, site_header
from organizations.words import words

register = template.Library()

# Stands in the kept htmx script for the request's nonce; begins with ``<``, which no address
# or escaped text in the script holds.
NONCE_MARK = mark_safe("<pathwise:nonce>")
_MESSAGE_CLASSES = {"error": "error", "warning": "warning", "success": "success"}


@dataclass(frozen=True)
class Parts:
    """The frame's fixed text around the per-request values, for one catalogue."""

    head_with_nonce: str  # from ``</title>`` to the head block, htmx's script with NONCE_MARK
    head_without_nonce: str  # the same for a page rendered without a nonce
    script: str  # the opening of the page's own script tag, up to its nonce
    body: str  # from the nonce's closing quote to the CSRF token
    skip: str  # from the token's closing quote to the header
    main: str  # from the header to the messages
    foot: str  # from the content block to the scripts block


def _make_parts() -> Parts:
    word = words()
    skip = escape(word[gettext_noop("Skip to content")])
    strapline = escape(word[gettext_noop("leadership development that proves growth")])
    links = (
        "</title>\n"
        f'  <link rel="icon" href="{escape(static("favicon.svg"))}" type="image/svg+xml">\n'
        f'  <link rel="stylesheet" href="{escape(static("css/pathwise.css"))}">\n  '
    )
    return Parts(
        head_with_nonce=f"{links}{htmx_script(nonce=NONCE_MARK)}\n  ",
        head_without_nonce=f"{links}{htmx_script(nonce=None)}\n  ",
        script=f'\n  <script src="{escape(static("js/pathwise.js"))}" nonce="',
        body='" defer></script>\n</head>\n<body hx-headers=\'{"X-CSRFToken": "',
        skip=f'"}}\'>\n  <a class="skip-link" href="#main">{skip}</a>\n  ',
        main='\n  <main id="main" class="container" tabindex="-1">\n    ',
        foot=(
            "\n  </main>\n"
            f'  <footer class="site-footer"><p class="muted">Pathwise · {strapline}</p></footer>\n  '
        ),
    )


# Counts the settings changed (tests change the static files' storage or address, ``DEBUG``):
# parts made before a change are not used after it.
_settings_changes = 0


@receiver(setting_changed)
def _forget(**kwargs: Any) -> None:
    global _settings_changes
    _settings_changes += 1


def parts() -> Parts:
    """The active catalogue's parts, made on first use."""
    return words().kept(("page_chrome", settings.DEBUG, _settings_changes), _make_parts)


class _Node(template.Node):
    def __init__(self, write: Any) -> None:
        self.write = write

    def render(self, context: template.Context) -> SafeString:
        return mark_safe(self.write(context))  # noqa: S308 - fixed text and escaped values


_MISSING = object()


def _text(value: Any) -> str:
    """A value as ``{{ value }}`` writes it: its text, escaped unless it is marked safe."""
    return conditional_escape(value if isinstance(value, str) else str(value))


def _variable(context: PageContext, name: str) -> str:
    """``{{ name }}``: nothing when the context has no such name (``None`` is written)."""
    value = context.get(name, _MISSING)
    return "" if value is _MISSING else _text(value)


# The frame's four parts: the tags' output, and a page written without the template engine
# (``organizations.page_frame``) calls them with its context as a mapping.
def frame_top(context: PageContext) -> str:
    language = context.get("LANGUAGE_CODE") or "en"
    return (
        '<!doctype html>\n<html lang="'
        f'{_text(language)}">\n<head>\n  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n  <title>'
    )


def frame_head(context: PageContext) -> str:
    org = context.get("org")
    title = f" · {_text(org.name)}" if org else ""
    nonce = context.get("csp_nonce")
    kept = parts()
    if nonce is None:
        return title + kept.head_without_nonce
    return title + kept.head_with_nonce.replace(NONCE_MARK, _text(nonce))


def _messages(context: PageContext) -> str:
    messages = context.get("messages")
    if not messages:
        return ""
    items = "".join(
        f'<li class="message message--{_MESSAGE_CLASSES.get(message.tags, "info")}">'
        f"{_text(message)}</li>"
        for message in messages
    )
    return (
        '\n      <ul class="messages" role="status" aria-live="polite">\n        '
        f"{items}\n      </ul>\n    "
    )


def frame_body(context: PageContext) -> str:
    kept = parts()
    return (
        f"{kept.script}{_variable(context, 'csp_nonce')}{kept.body}"
        f"{_variable(context, 'csrf_token')}{kept.skip}{site_header(context)}"
        f"{kept.main}{_messages(context)}\n    "
    )


def frame_foot(context: PageContext) -> str:
    return parts().foot


for _name, _write in (
    ("page_top", frame_top),
    ("page_head", frame_head),
    ("page_body", frame_body),
    ("page_foot", frame_foot),
):
    register.tag(_name, lambda parser, token, write=_write: _Node(write))
