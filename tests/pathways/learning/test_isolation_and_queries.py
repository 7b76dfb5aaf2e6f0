"""Cross-organisation 404 on every learner URL with real ids, and constant query counts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.learning.services import do_mark_module_done, do_save_practice_answer
from pathways.models import (
    ElectiveChoice,
    PracticeAnswer,
    ReviewCard,
    ReviewLog,
    SelfAssessment,
    StepCompletion,
)
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.pathways.learning.factories import (
    add_items,
    add_rule,
    add_task,
    due_cards,
    link_competencies,
    make_framework,
    make_group,
)


def _victim(org):
    fixture = make_pathway(org)
    make_group(org, fixture, fixture.steps[2:4], choose=1)
    link_competencies(org, fixture, make_framework(org, ["Coaching"]))
    add_task(org, fixture.steps[0].module_id)
    victim = make_member(org, "victim@a.example", is_learner=True)
    return fixture, victim, enroll(org, fixture, victim)


def _urls(slug, fixture, enrollment):
    module = fixture.steps[0].module_id
    step = fixture.steps[0].pk
    base = f"/o/{slug}/learn"
    return {
        "get": [
            f"{base}/modules/{module}/",
            f"{base}/modules/{module}/?enrollment={enrollment.pk}&step={step}",
            f"{base}/enrollments/{enrollment.pk}/diagnostic/",
            f"{base}/enrollments/{enrollment.pk}/electives/",
            f"{base}/enrollments/{enrollment.pk}/steps/{step}/",
        ],
        "post": [
            (f"{base}/modules/{module}/answer/", {"text": "Mine now"}),
            (f"{base}/modules/{module}/reaction/", {"useful": "5", "relevant": "5"}),
            (f"{base}/modules/{module}/done/", {}),
            (f"{base}/enrollments/{enrollment.pk}/diagnostic/", {}),
            (f"{base}/enrollments/{enrollment.pk}/electives/", {"group": "1"}),
            (f"{base}/enrollments/{enrollment.pk}/steps/{step}/done/", {}),
        ],
    }


def _assert_untouched(org):
    with tenant_context(org):
        assert not PracticeAnswer.objects.exists()
        assert not StepCompletion.objects.exists()
        assert not SelfAssessment.objects.exists()
        assert not ElectiveChoice.objects.exists()
        assert not ReviewCard.objects.exists()


def test_it_gives_404_for_another_organisations_ids_under_ones_own_slug(client, org_a, org_b):
    fixture, _victim_member, enrollment = _victim(org_a)
    intruder = make_member(org_b, "intruder@b.example", is_learner=True, is_admin=True)
    client.force_login(intruder.user)
    urls = _urls(org_b.slug, fixture, enrollment)
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    for url, data in urls["post"]:
        assert client.post(url, data).status_code == 404, url
    _assert_untouched(org_a)


def test_it_gives_404_to_another_organisations_member_under_the_victims_slug(client, org_a, org_b):
    fixture, _victim_member, enrollment = _victim(org_a)
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    client.force_login(intruder.user)
    urls = _urls(org_a.slug, fixture, enrollment)
    for url in urls["get"] + [f"/o/{org_a.slug}/learn/history/"]:
        assert client.get(url).status_code == 404, url
    for url, data in urls["post"]:
        assert client.post(url, data).status_code == 404, url
    _assert_untouched(org_a)


def test_it_gives_404_for_a_colleagues_enrolment(client, org_a, org_b):
    fixture, _victim_member, enrollment = _victim(org_a)
    colleague = make_member(org_a, "colleague@a.example", is_learner=True)
    client.force_login(colleague.user)
    urls = _urls(org_a.slug, fixture, enrollment)
    for url in urls["get"][1:]:
        assert client.get(url).status_code == 404, url
    for url, data in urls["post"][3:]:
        assert client.post(url, data).status_code == 404, url


def test_it_never_shows_another_learners_history(client, org_a, org_b):
    fixture, victim, _enrollment = _victim(org_a)
    with tenant_context(org_a):
        do_save_practice_answer(victim, fixture.steps[0].module_id, "Private plan")
    colleague = make_member(org_a, "colleague@a.example", is_learner=True)
    client.force_login(colleague.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert "Private plan" not in body and "Nothing here yet" in body


# --- Query counts ---------------------------------------------------------------------------


def _busy_learner(org, size):
    """A learner with ``size`` enrolments of ``size + 2`` steps each, personalisation rules,
    an elective group, prerequisites, self-assessments, ``3 * size`` due review cards,
    practice answers, completions and reviews."""
    learner = make_member(org, f"busy{size}@example.com", is_learner=True)
    comps = make_framework(org, [f"Competency {size}-{i}" for i in range(2)])
    for n in range(size):
        fixture = make_pathway(org, n_steps=size + 2, name=f"Pathway {size}-{n}")
        link_competencies(org, fixture, comps)
        add_rule(org, fixture.steps[1], comps[0])
        make_group(org, fixture, fixture.steps[-2:], choose=1)
        enrollment = enroll(org, fixture, learner)
        with tenant_context(org):
            SelfAssessment.objects.create(enrollment=enrollment, competency=comps[0], rating=2)
            StepCompletion.objects.create(
                enrollment=enrollment, learner=learner, step_key=fixture.steps[0].key
            )
        module_id = fixture.steps[0].module_id
        add_task(org, module_id)
        due_cards(org, learner, module_id, 3)
        with tenant_context(org):
            do_save_practice_answer(learner, module_id, f"Answer {n}")
            do_mark_module_done(learner, fixture.steps[2].module_id)
            card = ReviewCard.objects.filter(learner=learner).first()
            ReviewLog.objects.create(
                card=card,
                learner=learner,
                token=uuid.uuid4().hex,
                rating=3,
                reviewed_at=timezone.now() - dt.timedelta(minutes=n),
            )
    return learner, fixture, enrollment


def _count(client, member, url):
    client.force_login(member.user)
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.app_queries)


@pytest.mark.parametrize(
    "page",
    ["home", "module", "step", "history", "electives", "diagnostic"],
)
def test_it_reads_learner_pages_in_constant_queries(client, org_a, org_b, page):
    counts = []
    for org, size in ((org_a, 2), (org_b, 7)):
        learner, fixture, enrollment = _busy_learner(org, size)
        add_items(org, fixture.steps[0].module_id, size)
        url = {
            "home": f"/o/{org.slug}/",
            "module": f"/o/{org.slug}/learn/modules/{fixture.steps[0].module_id}/",
            "step": f"/o/{org.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/",
            "history": f"/o/{org.slug}/learn/history/",
            "electives": f"/o/{org.slug}/learn/enrollments/{enrollment.pk}/electives/",
            "diagnostic": f"/o/{org.slug}/learn/enrollments/{enrollment.pk}/diagnostic/",
        }[page]
        counts.append(_count(client, learner, url))
    assert counts[0] == counts[1], counts
    # 12 + coaching (experiments due, sessions to rate) + 360 (one query)
    assert page != "home" or counts[0] <= 15
