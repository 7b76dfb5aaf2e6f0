"""A completed module means a module taken: opened, its practice task answered, marked done on
its own page; a slip can be undone for a short while, withdrawing what it queued; project and
coaching steps are never self-certified."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from freezegun import freeze_time

from organizations.tenancy import tenant_context
from pathways.models import (
    ActivityEvent,
    Enrollment,
    ModuleReach,
    ReviewCard,
    Step,
    StepCompletion,
)
from pathways.queries import UNDO_WINDOW
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import add_items, add_task, extra_module


def _urls(org, enrollment, step):
    page = f"/o/{org.slug}/learn/enrollments/{enrollment.pk}/steps/{step.pk}/"
    return page, page + "done/", page + "undo/"


def test_it_refuses_a_module_step_never_opened(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page, done, _undo = _urls(org_a, enrollment, fixture.steps[0])
    body = client.post(done, follow=True).content.decode()
    assert "Open the module and work through it" in body
    with tenant_context(org_a):
        assert not StepCompletion.objects.exists()
    client.get(page)  # opening the page is the evidence the content was reached
    assert client.post(done).status_code == 302
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 1


def test_it_asks_for_the_practice_answer_before_done(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    add_task(org_a, fixture.steps[0].module_id)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page, done, _undo = _urls(org_a, enrollment, fixture.steps[0])
    body = client.get(page).content.decode()
    assert "saving your answer is what lets you mark this module done" in body
    assert 'action="' + done not in body
    refused = client.post(done, follow=True).content.decode()
    assert "Answer the module&#x27;s practice task first" in refused
    module = fixture.steps[0].module_id
    answer = f"/o/{org_a.slug}/learn/modules/{module}/answer/"
    query = f"?enrollment={enrollment.pk}&step={fixture.steps[0].pk}"
    swapped = client.post(answer + query, {"text": "Hi"}, headers={"HX-Request": "true"})
    # The saved answer also swaps in the "Mark done" card, now offering the button.
    assert 'hx-swap-oob="true"' in swapped.content.decode()
    assert 'action="' + done in swapped.content.decode()
    assert 'action="' + done in client.get(page).content.decode()
    assert client.post(done).status_code == 302
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 1


def test_it_refuses_self_certifying_a_coaching_step_through_the_api(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    with tenant_context(org_a):
        Step.objects.filter(pk=fixture.steps[0].pk).update(kind=Step.Kind.COACHING, module=None)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    url = f"/api/v1/orgs/{org_a.slug}/me/enrollments/{enrollment.pk}/complete-step/"
    response = client.post(url, {"step_id": fixture.steps[0].pk})
    assert response.status_code == 400
    assert any("Your coach confirms this step" in e["message"] for e in response.json()["errors"])
    with tenant_context(org_a):
        assert not StepCompletion.objects.exists()


def test_it_undoes_a_slip_and_withdraws_what_it_queued(
    client, org_a, org_b, django_capture_on_commit_callbacks
):
    fixture = make_pathway(org_a, n_steps=1)
    add_items(org_a, fixture.steps[0].module_id, 2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page, done, undo = _urls(org_a, enrollment, fixture.steps[0])
    # The library's reach is refreshed by the outbox once each fact commits.
    with django_capture_on_commit_callbacks(execute=True):
        client.get(page)
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(done, follow=True).content.decode()
    assert f'action="{undo}"' in body and "You can undo it until" in body
    module = fixture.steps[0].module_id

    def reach():
        # The library's roll-up, refreshed through the outbox after each fact.
        return ModuleReach.objects.filter(module_id=module).values_list("opened", "completed")

    with tenant_context(org_a):
        assert Enrollment.objects.get().status == Enrollment.Status.COMPLETED
        assert ReviewCard.objects.filter(learner=leo).count() == 2
        assert list(reach()) == [(1, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(undo, follow=True).content.decode()
    assert "is no longer marked done" in body and f'action="{done}"' in body
    with tenant_context(org_a):
        assert not StepCompletion.objects.exists()
        assert not ReviewCard.objects.exists()
        assert Enrollment.objects.get().status == Enrollment.Status.ACTIVE
        assert list(reach()) == [(1, 0)]
        verbs = list(ActivityEvent.objects.filter(actor=leo).values_list("verb", flat=True))
    assert "voided" in verbs and "completed" not in verbs


def test_it_keeps_a_completion_older_than_the_undo_window(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page, done, undo = _urls(org_a, enrollment, fixture.steps[0])
    start = timezone.now()
    with freeze_time(start):
        client.get(page)
        assert client.post(done).status_code == 302
    with freeze_time(start + UNDO_WINDOW + dt.timedelta(seconds=1)):
        assert f'action="{undo}"' not in client.get(page).content.decode()
        body = client.post(undo, follow=True).content.decode()
    assert "can be undone for 15 minutes only" in body
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 1


def test_it_undoes_a_module_taken_outside_a_pathway(client, org_a, org_b):
    module = extra_module(org_a, "Feedback that lands")
    add_items(org_a, module.pk, 1)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    base = f"/o/{org_a.slug}/learn/modules/{module.pk}/"
    assert "Open the module" in client.post(base + "done/", follow=True).content.decode()
    client.get(base)
    client.post(base + "done/")
    with tenant_context(org_a):
        assert ReviewCard.objects.count() == 1
    client.post(base + "undo/")
    with tenant_context(org_a):
        assert not ReviewCard.objects.exists()
        assert not ActivityEvent.objects.filter(verb="completed").exists()


def test_it_gives_another_organisations_learner_404_on_undo(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page, done, undo = _urls(org_a, enrollment, fixture.steps[0])
    client.get(page)
    client.post(done)
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    client.force_login(intruder.user)
    assert client.post(undo.replace(org_a.slug, org_b.slug)).status_code == 404
    module_undo = f"/o/{org_b.slug}/learn/modules/{fixture.steps[0].module_id}/undo/"
    assert client.post(module_undo).status_code == 404
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 1
