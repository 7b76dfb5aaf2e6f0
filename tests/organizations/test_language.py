"""Pathwise's pages are in one language, its own text and Django's alike: a browser asking for
another language gets the same English page, not Django's messages in that language inside
English text."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tests.conftest import make_member


def test_a_browser_asking_for_german_gets_one_language(client, db):
    response = client.post(
        reverse("login"), {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    # Django's own message for an empty required field, in the pages' language.
    assert "This field is required." in html
    assert "erforderlich" not in html


def test_any_english_variant_is_served_the_pages_language(client, org_a):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    for asked in ("en-US,en;q=0.8", "en", "fr-FR,fr;q=0.9", ""):
        response = client.get(f"/o/{org_a.slug}/", HTTP_ACCEPT_LANGUAGE=asked)
        assert response.status_code == 200
        assert response.headers["Content-Language"] == settings.LANGUAGE_CODE
        assert '<html lang="en">' in response.content.decode()
