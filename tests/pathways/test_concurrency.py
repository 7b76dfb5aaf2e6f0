"""Writes that race: two requests of the same learner at once (PostgreSQL, real transactions).

Request A runs in the test's thread inside a transaction that stays open; request B runs in
another thread meanwhile. Whatever B does must take A's still-uncommitted work into account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from organizations.models import Organization
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion, StepPrerequisite
from pathways.services import do_complete_step
from tests.conftest import enroll, make_member, make_pathway, requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _meanwhile(org: Organization, work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start ``work`` in another thread (its own connection, inside the tenant)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            with tenant_context(org):
                outcome.append(work())
        except Exception as exc:  # reported by the test, not lost in the thread
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_it_completes_the_enrolment_when_its_last_two_steps_are_done_at_once(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=3)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    intro, left, right = fixture.steps
    with tenant_context(org_a):
        # Two parallel last steps: each needs only the introduction.
        for step in (left, right):
            StepPrerequisite.objects.create(step=step, requires=intro)
        StepCompletion.objects.create(enrollment=enrollment, learner=leo, step_key=intro.key)
    with tenant_context(org_a), transaction.atomic():
        do_complete_step(leo, enrollment.pk, left.pk)  # request A, not committed yet
        thread, outcome = _meanwhile(org_a, lambda: do_complete_step(leo, enrollment.pk, right.pk))
        thread.join(timeout=1)  # B runs (or waits for A) while A is still open
    thread.join(timeout=10)
    assert not thread.is_alive() and not isinstance(outcome[0], Exception), outcome
    with tenant_context(org_a):
        enrollment.refresh_from_db()
        assert StepCompletion.objects.filter(enrollment=enrollment).count() == 3
        assert enrollment.status == Enrollment.Status.COMPLETED
    with tenant_context(org_b):
        assert not Enrollment.objects.filter(pk=enrollment.pk).exists()


def test_it_starts_one_play_when_start_is_clicked_twice_at_once(org_a, org_b):
    from pathways.models import ScenarioPlay
    from pathways.scenarios.services import do_start_play
    from tests.pathways.scenarios.builders import make_scenario

    fixture = make_scenario(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    scenario_id = fixture.scenario.pk
    with tenant_context(org_a), transaction.atomic():
        first = do_start_play(leo, scenario_id)  # request A, not committed yet
        thread, outcome = _meanwhile(org_a, lambda: do_start_play(leo, scenario_id))
        thread.join(timeout=1)
    thread.join(timeout=10)
    assert not thread.is_alive() and not isinstance(outcome[0], Exception), outcome
    with tenant_context(org_a):
        assert list(ScenarioPlay.objects.values_list("pk", flat=True)) == [first.pk]
        assert outcome[0].pk == first.pk
    with tenant_context(org_b):
        assert not ScenarioPlay.objects.exists()


def test_it_logs_one_completion_when_a_module_is_marked_done_twice_at_once(org_a, org_b):
    from pathways.learning.services import do_mark_module_done
    from pathways.models import ActivityEvent
    from tests.pathways.learning.factories import extra_module, open_modules

    module = extra_module(org_a, "Feedback that lands")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    open_modules(org_a, leo, module.pk)  # marking done needs the module taken first
    with tenant_context(org_a), transaction.atomic():
        do_mark_module_done(leo, module.pk)  # request A, not committed yet
        thread, outcome = _meanwhile(org_a, lambda: do_mark_module_done(leo, module.pk))
        thread.join(timeout=1)
    thread.join(timeout=10)
    assert not thread.is_alive() and not isinstance(outcome[0], Exception), outcome
    with tenant_context(org_a):
        assert ActivityEvent.objects.filter(verb="completed", object_type="module").count() == 1
    with tenant_context(org_b):
        assert not ActivityEvent.objects.exists()


def test_it_keeps_a_comment_an_admin_removes_while_its_author_deletes_it(org_a, org_b):
    from django.contrib.messages import get_messages
    from django.test import Client

    from pathways.models import Comment
    from pathways.social.services import do_post_comment, do_remove_comment
    from tests.pathways.social.helpers import make_module

    module = make_module(org_a, "Feedback that lands")
    ada = make_member(org_a, "ada@example.com", is_learner=True)
    admin = make_member(org_a, "hr@example.com", is_admin=True)
    with tenant_context(org_a):
        comment = do_post_comment(ada, module.pk, "Rude words")
    author = Client()
    author.force_login(ada.user)
    url = f"/o/{org_a.slug}/comments/{comment.pk}/delete/"
    outcome: list[Any] = []

    def delete() -> None:
        try:
            outcome.append(author.post(url))
        finally:
            connection.close()

    with tenant_context(org_a), transaction.atomic():
        do_remove_comment(admin, comment.pk)  # the admin's request, not committed yet
        thread = threading.Thread(target=delete)
        thread.start()
        # Long enough for the author's request to reach the row lock on a loaded machine; the
        # thread then waits on the lock, so this is the admin's transaction staying open.
        thread.join(timeout=5)
    thread.join(timeout=10)
    assert not thread.is_alive() and outcome and outcome[0].status_code == 302
    notes = [str(m) for m in get_messages(outcome[0].wsgi_request)]
    assert notes == ["An admin removed this comment; it can no longer be changed."]
    with tenant_context(org_a):
        kept = Comment.objects.get(pk=comment.pk)
        assert kept.removed_at is not None and kept.body == "Rude words"
    with tenant_context(org_b):
        assert not Comment.objects.exists()


def test_it_refuses_a_rating_on_a_level_removed_at_the_same_moment(org_a, org_b):
    """An admin removes the top level while a learner saves a self-assessment at it: the save
    waits for the framework lock, then sees the scale without that level and is refused."""
    from django.core.exceptions import ValidationError

    from competencies.services import do_remove_top_level
    from pathways.learning.services import do_save_self_assessment
    from pathways.models import SelfAssessment
    from tests.pathways.learning.factories import link_competencies, make_framework
    from tests.races import race

    fixture = make_pathway(org_a)
    [feedback] = make_framework(org_a, ["Giving feedback"])
    link_competencies(org_a, fixture, [feedback])
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    outcome = race(
        org_a,
        lambda: do_remove_top_level(None, feedback.framework, 5),
        lambda: do_save_self_assessment(leo, enrollment.pk, {feedback.pk: 5}),
    )
    assert isinstance(outcome, ValidationError), outcome
    assert "Pick a level from 1 to 4." in outcome.messages
    with tenant_context(org_a):
        assert not SelfAssessment.objects.exists()
