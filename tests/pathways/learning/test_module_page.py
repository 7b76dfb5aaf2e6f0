"""Taking a module: content, practice evidence, reaction, marking done and review cards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from organizations.tenancy import tenant_context
from pathways.learning.services import (
    do_mark_module_done,
    do_save_practice_answer,
    do_save_reaction,
    ensure_review_cards,
)
from pathways.models import (
    ActivityEvent,
    Module,
    ModuleReach,
    ModuleReaction,
    PracticeAnswer,
    ReviewCard,
    Step,
    StepCompletion,
)
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import add_items, add_task, extra_module, open_modules


def test_it_renders_the_module_content_sanitised(client, org_a, org_b):
    module = extra_module(org_a, "Feedback that lands")
    with tenant_context(org_a):
        Module.objects.filter(pk=module.pk).update(
            body="## Why it matters\n\n<script>alert(1)</script>**Be specific**"
        )
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/learn/modules/{module.pk}/").content.decode()
    assert "<h2>Why it matters</h2>" in page and "<strong>Be specific</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_it_hides_draft_modules_outside_the_learners_pathways(client, org_a, org_b):
    draft = extra_module(org_a, "Unfinished", status=Module.Status.DRAFT)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    assert client.get(f"/o/{org_a.slug}/learn/modules/{draft.pk}/").status_code == 404


def test_it_saves_the_practice_answer_as_evidence_and_lets_the_learner_edit_it(
    client, org_a, org_b
):
    module = extra_module(org_a, "Feedback that lands")
    add_task(org_a, module.pk)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/modules/{module.pk}/answer/"
    assert client.post(url, {"text": "  I will ask Sam for feedback.  "}).status_code == 302
    assert client.post(url, {"text": "I asked Sam on Tuesday."}).status_code == 302
    with tenant_context(org_a):
        answer = PracticeAnswer.objects.get()
        assert answer.text == "I asked Sam on Tuesday."
        events = list(
            ActivityEvent.objects.filter(verb="answered").values_list("result", flat=True)
        )
    assert [e["edited"] for e in events] == [True, False]  # newest first
    page = client.get(f"/o/{org_a.slug}/learn/modules/{module.pk}/").content.decode()
    assert "I asked Sam on Tuesday." in page and "Update answer" in page


def test_it_refuses_an_empty_answer_and_keeps_the_saved_one(client, org_a, org_b):
    module = extra_module(org_a, "Feedback that lands")
    add_task(org_a, module.pk)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    with tenant_context(org_a):
        do_save_practice_answer(leo, module.pk, "First answer")
        with pytest.raises(ValidationError, match="Write your answer"):
            do_save_practice_answer(leo, module.pk, "   ")
        with pytest.raises(ValidationError, match="under 5000 characters"):
            do_save_practice_answer(leo, module.pk, "x" * 5001)
        assert PracticeAnswer.objects.get().text == "First answer"
    client.force_login(leo.user)
    response = client.post(f"/o/{org_a.slug}/learn/modules/{module.pk}/answer/", {"text": ""})
    assert (
        response.status_code == 400
        and "Write your answer before saving." in response.content.decode()
    )


def test_it_answers_htmx_with_the_practice_card_only(client, org_a, org_b):
    module = extra_module(org_a, "Feedback that lands")
    add_task(org_a, module.pk)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    body = client.post(
        f"/o/{org_a.slug}/learn/modules/{module.pk}/answer/",
        {"text": "My plan"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert body.lstrip().startswith('<section class="card stack" id="practice"')
    assert "Answer saved as evidence." in body and "<html" not in body


@pytest.mark.parametrize(
    "useful, relevant, field", [(0, 3, "useful"), (3, 6, "relevant"), ("x", 3, "useful")]
)
def test_it_validates_the_reaction_on_a_1_to_5_scale(org_a, org_b, useful, relevant, field):
    module = extra_module(org_a, "Feedback that lands")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            do_save_reaction(leo, module.pk, useful, relevant)
        assert field in exc.value.message_dict
        assert not ModuleReaction.objects.exists()


def test_it_keeps_one_reaction_per_learner_and_module(client, org_a, org_b):
    module = extra_module(org_a, "Feedback that lands")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/modules/{module.pk}/reaction/"
    assert client.post(url, {"useful": "4", "relevant": "2"}).status_code == 302
    assert client.post(url, {"useful": "5", "relevant": "3"}).status_code == 302
    assert client.post(url, {"useful": "9", "relevant": "3"}).status_code == 400
    with tenant_context(org_a):
        reaction = ModuleReaction.objects.get()
    assert (reaction.useful, reaction.relevant) == (5, 3)


def test_the_module_roll_up_keeps_its_ratings_equal_to_the_facts(
    client, org_a, org_b, django_capture_on_commit_callbacks
):
    """A rating saved, then changed, refreshes the module's ``ModuleReach`` row through the
    outbox after the fact commits: raters and sums equal the reactions (the library's and the
    admin home's means are read from it)."""
    module = extra_module(org_a, "Feedback that lands")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    mia = make_member(org_a, "mia@example.com", is_learner=True)
    url = f"/o/{org_a.slug}/learn/modules/{module.pk}/reaction/"

    def rate(member, useful, relevant):
        client.force_login(member.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"useful": useful, "relevant": relevant})
        assert response.status_code == 302

    def rollup_and_facts():
        with tenant_context(org_a):
            row = ModuleReach.objects.filter(module_id=module.pk).values_list(
                "ratings", "useful_sum", "relevant_sum"
            )
            facts = ModuleReaction.objects.filter(module_id=module.pk).values_list(
                "useful", "relevant"
            )
            return list(row), [(len(facts), sum(u for u, _ in facts), sum(r for _, r in facts))]

    rate(leo, "4", "2")
    assert rollup_and_facts() == ([(1, 4, 2)], [(1, 4, 2)])
    rate(mia, "1", "5")
    assert rollup_and_facts() == ([(2, 5, 7)], [(2, 5, 7)])
    rate(leo, "5", "3")  # a changed rating replaces the learner's first one
    assert rollup_and_facts() == ([(2, 6, 8)], [(2, 6, 8)])
    with tenant_context(org_a):
        reach = ModuleReach.objects.get(module_id=module.pk)
    assert (reach.useful, reach.relevant) == (3.0, 4.0)
    with tenant_context(org_b):
        assert not ModuleReach.objects.exists()


def test_it_turns_retrieval_items_into_review_cards_once(org_a, org_b):
    module = extra_module(org_a, "Feedback that lands")
    add_items(org_a, module.pk, 3)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    open_modules(org_a, leo, module.pk)
    with tenant_context(org_a):
        assert do_mark_module_done(leo, module.pk).cards_created == 3
        assert do_mark_module_done(leo, module.pk).cards_created == 0
        assert ensure_review_cards(leo, module.pk) == 0
        cards = list(ReviewCard.objects.all())
        assert ActivityEvent.objects.filter(verb="completed").count() == 1
    assert len(cards) == 3
    assert {(c.state, c.step) for c in cards} == {(1, 0)}


def test_it_completes_a_pathway_step_from_its_module_page(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    add_items(org_a, fixture.steps[0].module_id, 2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    step_url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/"
    page = client.get(step_url).content.decode()
    assert "Leading Through Change module 1" in page and "adds 2 questions" in page
    response = client.post(step_url + "done/", follow=True)
    assert "2 questions were added to your reviews." in response.content.decode()
    client.post(step_url + "done/")
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 1
        assert ReviewCard.objects.filter(learner=leo).count() == 2
        event = ActivityEvent.objects.get(verb="completed")
    assert event.registration_id == enrollment.pk and event.object_id == str(
        fixture.steps[0].module_id
    )


@freeze_time("2026-03-02 10:00:00+00:00")
def test_it_shows_a_project_steps_brief_and_leads_to_the_project_instead_of_mark_done(
    client, org_a, org_b
):
    from projects.models import ProjectTemplate

    fixture = make_pathway(org_a, n_steps=1)
    with tenant_context(org_a):
        template = ProjectTemplate.objects.create(
            title="Reduce handover delays", brief="Map **one** handover."
        )
        Step.objects.filter(pk=fixture.steps[0].pk).update(
            kind=Step.Kind.PROJECT, module=None, project_template=template, due_offset_days=0
        )
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/"
    page = client.get(url).content.decode()
    assert "Reduce handover delays" in page and "<strong>one</strong>" in page
    assert (  # the cohort started yesterday and the step was due on its first day
        '<span class="badge badge--overdue">Overdue</span> was due <time datetime="2026-03-01" '
        'title="Sun 1 Mar 2026">yesterday (1 Mar)</time>' in page
    )
    # The learner cannot self-certify a project step: the sponsor's sign-off completes it.
    assert f"{url}project/" in page and "Mark done" not in page
    refused = client.post(url + "done/", follow=True).content.decode()
    assert "cannot be self-certified" in refused
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 0


def test_it_refuses_to_mark_a_locked_step_done_from_its_page(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[2].pk}/"
    assert "Not open yet" in client.get(url).content.decode()
    page = client.post(url + "done/", follow=True).content.decode()
    assert "is not open yet" in page
    with tenant_context(org_a):
        assert not StepCompletion.objects.exists() and not ReviewCard.objects.exists()


def test_it_refuses_a_step_context_about_another_module(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    module = fixture.steps[1].module_id
    query = f"?enrollment={enrollment.pk}&step={fixture.steps[0].pk}"
    assert client.get(f"/o/{org_a.slug}/learn/modules/{module}/{query}").status_code == 404
    ok = client.get(f"/o/{org_a.slug}/learn/modules/{fixture.steps[0].module_id}/{query}")
    assert ok.status_code == 200 and "Stage 1" in ok.content.decode()


def test_it_opens_a_retired_module_of_the_learners_pathway_without_its_discussion(
    client, org_a, org_b
):
    fixture = make_pathway(org_a, n_steps=1)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    step = fixture.steps[0]
    with tenant_context(org_a):
        Module.objects.filter(pk=step.module_id).update(status=Module.Status.RETIRED)
    client.force_login(leo.user)
    module_url = f"/o/{org_a.slug}/learn/modules/{step.module_id}/"
    step_url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{step.pk}/"
    for url in (module_url, step_url):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "module-comments" not in response.content.decode()
    bob = make_member(org_b, "bob@example.com", is_learner=True)
    client.force_login(bob.user)
    assert client.get(f"/o/{org_b.slug}/learn/modules/{step.module_id}/").status_code == 404
