"""The demo shows the product's own error pages: ``make run`` serves without DEBUG (Django's
debug 404 would list every URL to a learner following an admin link)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _target(name: str) -> str:
    """The target's own lines: its target-specific exports and its recipe."""
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text().splitlines()
    lines, inside = [], False
    for line in makefile:
        if line.startswith(f"{name}:"):
            lines.append(line)
            inside = True
        elif inside and line.startswith("\t"):
            lines.append(line)
        elif line.strip():
            inside = False
    return "\n".join(lines)


def test_make_run_serves_without_debug_and_make_debug_keeps_it_for_development():
    assert "DJANGO_DEBUG ?= 0" in _target("run")
    assert "collectstatic" in _target("run")
    assert "DJANGO_DEBUG = 1" in _target("debug")


def test_a_learner_following_an_admin_link_gets_the_products_404(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    response = client.get(f"/o/{org_a.slug}/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that page" in page
    assert "URLconf" not in page and "Using the URLconf" not in page
