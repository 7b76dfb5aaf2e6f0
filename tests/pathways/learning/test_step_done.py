"""Marking a step done says what it finished: the card swapped in on the home celebrates a
finished stage or pathway, and the step page's redirect says so before the home celebrates."""

from __future__ import annotations

from organizations.tenancy import tenant_context
from pathways.models import Enrollment, Stage, Step, StepCompletion
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import open_steps

HTMX = {"HX-Request": "true"}


def _two_stages(org):
    """A pathway of three steps: two in Stage 1, the last in Stage 2."""
    fixture = make_pathway(org, n_steps=3)
    with tenant_context(org):
        stage2 = Stage.objects.create(version=fixture.version, title="Stage 2", position=1)
        Step.objects.filter(pk=fixture.steps[2].pk).update(stage=stage2)
    return fixture


def _done_url(org, enrollment, step):
    return f"/o/{org.slug}/learn/enrollments/{enrollment.pk}/steps/{step.pk}/done/"


def test_it_celebrates_the_pathway_its_last_step_finishes_in_the_card(client, org_a, org_b):
    fixture = _two_stages(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    first, second, last = fixture.steps

    card = client.post(_done_url(org_a, enrollment, first), headers=HTMX).content.decode()
    assert card.lstrip().startswith("<section") and "<html" not in card
    assert "1 of 3 steps done" in card and 'class="celebrate"' not in card

    card = client.post(_done_url(org_a, enrollment, second), headers=HTMX).content.decode()
    assert 'class="celebrate" role="status"' in card
    assert "Stage 1: finished!" in card
    assert "You finished this stage of Leading Through Change" in card

    response = client.post(_done_url(org_a, enrollment, last), headers=HTMX)
    # The button sat low in the card: the swap scrolls the card's top, the news, into view.
    assert response["HX-Reswap"] == f"outerHTML show:#enrollment-{enrollment.pk}:top"
    card = response.content.decode()
    assert 'class="celebrate" role="status"' in card
    assert "You completed Leading Through Change!" in card
    assert "Stage 2: finished!" not in card  # the pathway is celebrated, not its last stage
    assert "3 of 3 steps done (100%)" in card
    with tenant_context(org_a):
        assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.COMPLETED


def test_it_says_what_the_step_finished_and_the_home_celebrates_it(client, org_a, org_b):
    fixture = _two_stages(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    first, second, last = fixture.steps
    client.post(_done_url(org_a, enrollment, first))

    response = client.post(_done_url(org_a, enrollment, second), follow=True)
    step_page = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{second.pk}/"
    assert response.redirect_chain == [(step_page, 302)]  # back on the module's own page
    page = response.content.decode()
    assert "Marked done: that finishes Stage 1." in page
    assert "Stage 1: finished!" in client.get(f"/o/{org_a.slug}/").content.decode()

    page = client.post(_done_url(org_a, enrollment, last), follow=True).content.decode()
    assert "Marked done: that was the last step of Leading Through Change." in page
    assert (
        "You completed Leading Through Change!" in client.get(f"/o/{org_a.slug}/").content.decode()
    )


def test_it_celebrates_nothing_for_a_step_that_finishes_nothing(client, org_a, org_b):
    fixture = _two_stages(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    page = client.post(_done_url(org_a, enrollment, fixture.steps[0]), follow=True)
    body = page.content.decode()
    assert "Marked done. Done by mistake?" in body and 'class="celebrate"' not in body


def test_it_shows_a_refusal_in_the_card_and_records_nothing(client, org_a, org_b):
    fixture = _two_stages(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    card = client.post(_done_url(org_a, enrollment, fixture.steps[2]), headers=HTMX)
    body = card.content.decode()
    assert card.status_code == 200 and 'role="alert"' in body and "is not open yet" in body
    with tenant_context(org_a):
        assert not StepCompletion.objects.exists()


def test_it_offers_no_mark_done_on_the_home_only_the_way_to_the_module(client, org_a, org_b):
    fixture = _two_stages(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "/done/" not in page and "Mark done" not in page
    step_page = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/"
    assert f'href="{step_page}"' in page


def test_it_gives_another_organisations_learner_404_and_no_celebration(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=1)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    client.force_login(intruder.user)
    url = _done_url(org_a, enrollment, fixture.steps[0]).replace(org_a.slug, org_b.slug)
    assert client.post(url, headers=HTMX).status_code == 404
    assert client.post(url).status_code == 404
    with tenant_context(org_a):
        assert not StepCompletion.objects.exists()
