"""The self-assessment diagnostic at enrolment: validated, all-or-nothing, personalises."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways import queries
from pathways.learning.services import do_save_self_assessment
from pathways.models import SelfAssessment
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import add_rule, link_competencies, make_framework


def _setup(org):
    fixture = make_pathway(org)
    comps = make_framework(org, ["Giving feedback", "Coaching", "Delegating"])
    link_competencies(org, fixture, comps[:2])
    add_rule(org, fixture.steps[1], comps[2], threshold=3)  # a rule's competency is rated too
    leo = make_member(org, "leo@example.com", is_learner=True)
    return fixture, comps, leo, enroll(org, fixture, leo)


def test_it_saves_every_rating_and_personalises_the_pathway(org_a, org_b):
    fixture, comps, leo, enrollment = _setup(org_a)
    with tenant_context(org_a):
        do_save_self_assessment(
            leo, enrollment.pk, {comps[0].pk: 2, comps[1].pk: 5, comps[2].pk: 3}
        )
        assert SelfAssessment.objects.filter(enrollment=enrollment).count() == 3
        [view] = queries.learner_enrollments(leo)
    assert view.steps[1].state == "skipped" and not view.needs_diagnostic


@pytest.mark.parametrize(
    "ratings_of, message",
    [
        (lambda c: {c[0].pk: 2, c[1].pk: 5}, "Rate yourself on Delegating."),
        (lambda c: {c[0].pk: 2, c[1].pk: 6, c[2].pk: 1}, "Pick a level from 1 to 5."),
        (lambda c: {c[0].pk: 2, c[1].pk: 0, c[2].pk: 1}, "Pick a level from 1 to 5."),
    ],
)
def test_it_refuses_incomplete_or_off_scale_ratings_and_saves_nothing(
    org_a, org_b, ratings_of, message
):
    _fixture, comps, leo, enrollment = _setup(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            do_save_self_assessment(leo, enrollment.pk, ratings_of(comps))
        assert message in exc.value.messages
        assert not SelfAssessment.objects.exists()


def test_it_refuses_a_competency_outside_the_pathway(org_a, org_b):
    _fixture, comps, leo, enrollment = _setup(org_a)
    [other] = make_framework(org_a, ["Finance"])
    ratings = {c.pk: 3 for c in comps} | {other.pk: 3}
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="outside this pathway"):
            do_save_self_assessment(leo, enrollment.pk, ratings)
        assert not SelfAssessment.objects.exists()


def test_it_keeps_the_baseline_fixed_once_taken(org_a, org_b):
    _fixture, comps, leo, enrollment = _setup(org_a)
    with tenant_context(org_a):
        do_save_self_assessment(leo, enrollment.pk, {c.pk: 2 for c in comps})
        with pytest.raises(ValidationError, match="already rated"):
            do_save_self_assessment(leo, enrollment.pk, {c.pk: 5 for c in comps})
        assert set(SelfAssessment.objects.values_list("rating", flat=True)) == {2}


def test_it_shows_the_scale_and_saves_through_the_page(client, org_a, org_b):
    _fixture, comps, leo, enrollment = _setup(org_a)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/diagnostic/"
    page = client.get(url).content.decode()
    assert "Giving feedback" in page and "3 – Level 3" in page and "Descriptor 5" in page
    bad = client.post(url, {f"competency_{comps[0].pk}": "2"})
    assert bad.status_code == 400 and "Rate yourself on this competency." in bad.content.decode()
    with tenant_context(org_a):
        assert not SelfAssessment.objects.exists()
    ok = client.post(url, {f"competency_{c.pk}": "4" for c in comps})
    assert ok.status_code == 302
    with tenant_context(org_a):
        assert SelfAssessment.objects.count() == 3


def test_it_refuses_another_learners_enrolment(org_a, org_b):
    _fixture, comps, _leo, enrollment = _setup(org_a)
    mia = make_member(org_a, "mia@example.com", is_learner=True)
    with tenant_context(org_a):
        with pytest.raises(SelfAssessment.enrollment.field.related_model.DoesNotExist):
            do_save_self_assessment(mia, enrollment.pk, {c.pk: 3 for c in comps})
