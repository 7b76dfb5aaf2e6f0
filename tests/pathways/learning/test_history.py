"""The learner's history: completions, practice answers and reviews, newest first, paged."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.learning.queries import HISTORY_PAGE_SIZE, history_page
from pathways.learning.services import do_mark_module_done, do_save_practice_answer
from pathways.models import ReviewCard, ReviewLog, StepCompletion
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import add_items, add_task, extra_module


def _review(org, learner, item, when):
    with tenant_context(org):
        card, _ = ReviewCard.objects.get_or_create(learner=learner, item=item)
        ReviewLog.objects.create(
            card=card,
            learner=learner,
            token=uuid.uuid4().hex,
            rating=3,
            correct=True,
            duration_ms=4200,
            reviewed_at=when,
        )


def test_it_lists_completions_answers_and_reviews_newest_first(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    extra = extra_module(org_a, "Energy, not hours")
    add_task(org_a, extra.pk)
    [item] = add_items(org_a, extra.pk, 1)
    now = timezone.now()
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=enrollment,
            learner=leo,
            step_key=fixture.steps[0].key,
            completed_at=now - dt.timedelta(days=3),
        )
        do_mark_module_done(leo, extra.pk)
        do_save_practice_answer(leo, extra.pk, "Block two hours on Monday")
    _review(org_a, leo, item, now + dt.timedelta(minutes=5))
    other = make_member(org_a, "mia@example.com", is_learner=True)
    _review(org_a, other, item, now)  # someone else's review never shows
    with tenant_context(org_a):
        page = history_page(leo)
    assert [e.kind for e in page.entries] == ["review", "answer", "completion", "completion"]
    assert page.entries[0].title == "Question 1 of module %s" % extra.pk
    assert page.entries[0].detail == "Answered Good in 4 s"
    assert page.entries[1].detail == "Block two hours on Monday"
    assert page.entries[2].title == "Energy, not hours"
    assert page.entries[3].title == "Leading Through Change module 1"
    assert page.total == 4


def test_it_pages_the_history(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    module = extra_module(org_a, "Energy, not hours")
    [item] = add_items(org_a, module.pk, 1)
    now = timezone.now()
    for i in range(HISTORY_PAGE_SIZE + 3):
        _review(org_a, leo, item, now - dt.timedelta(minutes=i))
    with tenant_context(org_a):
        first, second = history_page(leo, 1), history_page(leo, 2)
    assert len(first.entries) == HISTORY_PAGE_SIZE and len(second.entries) == 3
    assert first.has_next and not second.has_next and second.num_pages == 2
    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/?page=2").content.decode()
    assert "Page 2 of 2" in body


def test_it_teaches_what_belongs_in_an_empty_history(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert "Nothing here yet" in body
