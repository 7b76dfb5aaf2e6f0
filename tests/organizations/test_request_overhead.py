"""What every signed-in page pays before its view runs: the statements of a view that does
nothing (the floor that bench/pages.py measures), and that both tenancy walls and session
revocation still hold on that short path."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

import config.urls
from organizations.models import Membership, User, UserSession
from organizations.tenancy import (
    TenantContextMissing,
    current_org_id,
    request_tenant_context,
)
from tests.conftest import PASSWORD, make_member

# The floor of bench/pages.py, in a test URLconf: the product has no such page.
FLOOR = "o/<slug:org_slug>/floor/"


def floor(request: HttpRequest, org_slug: str) -> HttpResponse:
    return HttpResponse(b"floor", content_type="text/plain")


def walls(request: HttpRequest, org_slug: str) -> JsonResponse:
    """What the view sees of both walls."""
    seen: dict[str, Any] = {"context": current_org_id(), "setting": None, "memberships": None}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "select current_setting('app.org_id', true), "
                "(select count(*) from organizations_membership)"
            )
            seen["setting"], seen["memberships"] = cursor.fetchone()
    return JsonResponse(seen)


urlpatterns = [
    path(FLOOR, floor),
    path("o/<slug:org_slug>/walls/", walls),
    *config.urls.urlpatterns,
]

pytestmark = pytest.mark.urls(__name__)


def _signed_in(email: str) -> Client:
    browser = Client()
    assert browser.post(reverse("login"), {"username": email, "password": PASSWORD}).status_code
    return browser


# The request's own transaction is the outermost one, as in production (a test transaction
# around it would add a savepoint).
@pytest.mark.django_db(transaction=True)
def test_a_signed_in_page_pays_five_statements_before_its_view(org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    browser = _signed_in("leo@acme.example")
    url = f"/o/{org_a.slug}/floor/"
    assert browser.get(url).status_code == 200  # warm: the session's last-seen is fresh
    with CaptureQueriesContext(connection) as ctx:
        assert browser.get(url).status_code == 200
    statements = [q["sql"] for q in ctx.captured_queries]
    # 1 the session with its account, 2 BEGIN, 3 the organisation (with both tenant settings
    # on PostgreSQL), 4 the membership, 5 COMMIT. Was 10: session, user, BEGIN, organisation,
    # SAVEPOINT, SET, membership, SET back, RELEASE SAVEPOINT, COMMIT.
    assert len(statements) == 5, statements
    assert "django_session" in statements[0] and "organizations_user" in statements[0]
    assert statements[1] == "BEGIN" and statements[-1] == "COMMIT"
    assert "organizations_organization" in statements[2]
    assert ("set_config" in statements[2]) == (connection.vendor == "postgresql")
    assert "organizations_membership" in statements[3]
    assert not any("SAVEPOINT" in s for s in statements)


@pytest.mark.django_db(transaction=True)
def test_the_view_runs_behind_both_walls_and_the_setting_ends_with_the_request(org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_a, "ann@acme.example", is_learner=True)
    make_member(org_b, "eve@globex.example", is_learner=True)
    seen = _signed_in("leo@acme.example").get(f"/o/{org_a.slug}/walls/").json()
    assert seen["context"] == org_a.pk
    if connection.vendor == "postgresql":
        assert seen["setting"] == str(org_a.pk)
        assert seen["memberships"] == 2  # row-level security: organisation A's rows only
        with connection.cursor() as cursor:  # transaction-local: gone after the request
            cursor.execute("select coalesce(current_setting('app.org_id', true), '')")
            assert cursor.fetchone()[0] == ""
    assert current_org_id() is None


def test_another_organisations_member_gets_404_on_the_short_path(org_a, org_b):
    make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_b, "eve@globex.example", is_learner=True)
    eve = _signed_in("eve@globex.example")
    assert eve.get(f"/o/{org_a.slug}/floor/").status_code == 404
    assert eve.get("/o/no-such-org/floor/").status_code == 404
    assert eve.get(f"/o/{org_b.slug}/floor/").status_code == 200


def test_an_ended_or_deactivated_session_is_signed_out_on_the_short_path(org_a, org_b):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    url = f"/o/{org_a.slug}/floor/"
    laptop, phone = _signed_in("leo@acme.example"), _signed_in("leo@acme.example")
    assert phone.get(url).status_code == 200
    assert laptop.post(reverse("sign_out_everywhere")).status_code == 302
    assert phone.get(url).status_code == 302  # its session row is gone
    assert laptop.get(url).status_code == 200
    User.objects.filter(pk=leo.user_id).update(is_active=False)
    assert laptop.get(url).status_code == 302


def test_a_session_without_its_listing_row_is_read_as_django_reads_it(org_a, org_b):
    """Sessions signed in before sessions were listed have no UserSession row: the account is
    read in a second statement, with the same checks."""
    make_member(org_a, "leo@acme.example", is_learner=True)
    browser = _signed_in("leo@acme.example")
    UserSession.objects.all().delete()
    url = f"/o/{org_a.slug}/floor/"
    assert browser.get(url).status_code == 200
    user = User.objects.get(email="leo@acme.example")
    user.set_password("Another-Secret-42")
    user.save()
    assert browser.get(url).status_code == 302  # the session hash no longer matches
    assert Session.objects.count() == 0  # and the session was flushed


@pytest.mark.django_db(transaction=True)
def test_the_request_context_needs_the_requests_transaction(org_a, org_b):
    with pytest.raises(TenantContextMissing):
        with request_tenant_context(org_a, user_id=None, database_tenant_set=False):
            pass
    with (
        transaction.atomic(),
        request_tenant_context(org_a, user_id=None, database_tenant_set=False),
    ):
        assert Membership.objects.count() == 0
    assert current_org_id() is None
