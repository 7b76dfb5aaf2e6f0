"""The frame of every page (``base.html``) is written by ``page_chrome``'s tags from kept parts:
it must be, byte for byte, what the template it replaced (kept beside this file, in
``replaced/base.html``, as it was) renders, in every shape a page takes: signed in or not, with
and without a request, nonce or token, with messages of every level, names and words that need
escaping, another language, ``DEBUG`` (htmx's debugging script) and a changed static address."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template import Context, Engine, engines
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import mark_safe

from organizations.templatetags import page_chrome
from tests.conftest import make_member

REPLACED = Path(__file__).parent / "replaced"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
CHILD = (
    '{% extends "base.html" %}{% block title %}Page &amp; <i>title</i>{% endblock %}'
    '{% block head %}<meta name="x" content="{{ extra }}">{% endblock %}'
    "{% block content %}<p>{{ extra }}</p>{% endblock %}"
    '{% block scripts %}<script nonce="{{ csp_nonce }}">1</script>{% endblock %}'
)


pytestmark = pytest.mark.usefixtures("fresh_site_nav")


def _engine(base: Path) -> Engine:
    django_engine = engines["django"].engine  # type: ignore[attr-defined]
    templates = {"base.html": base.read_text(), "child.html": CHILD}
    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", templates)],
        libraries=django_engine.libraries,
        builtins=[],
    )


def _both(name: str, context: dict[str, Any]) -> tuple[str, str]:
    before = _engine(REPLACED / "base.html").get_template(name).render(Context(dict(context)))
    after = _engine(TEMPLATES / "base.html").get_template(name).render(Context(dict(context)))
    return before, after


def _messages() -> list[Message]:
    return [
        Message(constants.ERROR, "Bad <input> & more"),
        Message(constants.WARNING, "Careful"),
        Message(constants.SUCCESS, mark_safe("<b>Saved</b>")),
        Message(constants.INFO, "Note"),
        Message(constants.DEBUG, "Debug"),
        Message(constants.ERROR, "Tagged", extra_tags="extra"),
        Message(constants.SUCCESS, 42),  # type: ignore[arg-type]  # written as its text
    ]


def _shapes(member: Any) -> list[dict[str, Any]]:
    org = member.organization
    org.name = "Acme <b>\"Co\"</b> & 'Sons'"
    request = SimpleNamespace(resolver_match=SimpleNamespace(url_name="org_home"))
    signed_in = {
        "request": request,
        "user": member.user,
        "org": org,
        "membership": member,
        "active_role": "learner",
        "csrf_token": "tok<en>",
        "csp_nonce": "n&once",
        "extra": "<x>",
    }
    return [
        {},  # no request: no token, no nonce, no one signed in
        {"user": AnonymousUser(), "csrf_token": "T0ken", "csp_nonce": "abc"},
        signed_in,
        {**signed_in, "messages": _messages()},
        {**signed_in, "messages": []},
        {**signed_in, "csp_nonce": None, "org": None},  # a nonce that is None is written
        {**signed_in, "LANGUAGE_CODE": 'd"e'},
        {**signed_in, "LANGUAGE_CODE": None},
    ]


@pytest.mark.parametrize("name", ["base.html", "child.html"])
def test_the_frame_is_the_replaced_templates_output(org_a, name):
    member = make_member(org_a, "ada@example.com", is_learner=True)
    member.user.full_name = "Ada <b>&\"'"
    for shape in _shapes(member):
        for debug in (False, True):
            with override_settings(DEBUG=debug):
                before, after = _both(name, shape)
                assert after == before, shape
                # Kept: the same again from the kept parts.
                assert _both(name, shape)[1] == before


def test_the_frame_follows_the_language_and_the_static_address(org_a):
    member = make_member(org_a, "ada@example.com", is_learner=True)
    shape = _shapes(member)[2]
    with translation.override("fr"):
        before, after = _both("child.html", shape)
        assert after == before
    with override_settings(STATIC_URL="/assets/"):
        before, after = _both("child.html", shape)
        assert after == before and 'href="/assets/css/pathwise.css"' in after
    before, after = _both("child.html", shape)
    assert after == before and 'href="/static/css/pathwise.css"' in after


def _masked(html: str) -> str:
    html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": ""', html)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def _replaced_templates() -> list[dict[str, Any]]:
    dirs: list[Any] = [*settings.TEMPLATES[0]["DIRS"]]  # type: ignore[misc]
    return [{**settings.TEMPLATES[0], "DIRS": [REPLACED, *dirs]}]


@override_settings(DEBUG=False)
def test_pages_are_the_same_with_the_replaced_frame(client, org_a):
    admin = make_member(org_a, "ada@example.com", is_admin=True, is_learner=True)
    client.force_login(admin.user)
    pages = [
        f"/o/{org_a.slug}/",
        f"/o/{org_a.slug}/people/",
        f"/o/{org_a.slug}/no-such-page/",
    ]
    for url in pages:
        after = client.get(url)
        with override_settings(TEMPLATES=_replaced_templates()):
            before = client.get(url)
        assert after.status_code == before.status_code
        assert _masked(after.content.decode()) == _masked(before.content.decode()), url
    # Signed out: the sign-in page.
    client.logout()
    after = client.get("/accounts/login/")
    with override_settings(TEMPLATES=_replaced_templates()):
        before = client.get("/accounts/login/")
    assert _masked(after.content.decode()) == _masked(before.content.decode())


@override_settings(DEBUG=False)
def test_a_message_is_written_once_and_then_gone(client, org_a):
    admin = make_member(org_a, "ada@example.com", is_admin=True, is_learner=True)
    client.force_login(admin.user)
    from django.contrib.messages.storage.cookie import CookieStorage

    storage = CookieStorage(SimpleNamespace(COOKIES={}))
    encoded = storage._encode([Message(constants.SUCCESS, "Saved <it> & done")])
    client.cookies["messages"] = encoded
    after = client.get(f"/o/{org_a.slug}/").content.decode()
    assert '<li class="message message--success">Saved &lt;it&gt; &amp; done</li>' in after
    assert "Saved" not in client.get(f"/o/{org_a.slug}/").content.decode()
    client.cookies["messages"] = encoded
    with override_settings(TEMPLATES=_replaced_templates()):
        before = client.get(f"/o/{org_a.slug}/").content.decode()
    assert _masked(after) == _masked(before)


def test_nothing_per_request_is_kept(org_a):
    member = make_member(org_a, "ada@example.com", is_learner=True)
    for shape in _shapes(member):
        _both("child.html", shape)
    kept = "".join(
        str(value)
        for words in page_chrome.words.__globals__["_kept"].values()
        for value in words._made.values()
    )
    assert "tok&lt;en&gt;" not in kept and "n&amp;once" not in kept and "Acme" not in kept
    assert page_chrome.NONCE_MARK in kept
