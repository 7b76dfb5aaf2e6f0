"""A forged form (no CSRF token) is refused with a clear page and writes nothing."""

from __future__ import annotations

from django.test import Client

from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from tests.conftest import enroll, make_member, make_pathway


def test_it_refuses_a_forged_form_and_writes_nothing(org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client = Client(enforce_csrf_checks=True)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/done/"
    response = client.post(url)
    assert response.status_code == 403
    assert "This form could not be accepted" in response.content.decode()
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 0
