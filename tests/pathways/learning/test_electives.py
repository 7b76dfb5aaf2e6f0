"""Electives: choose k of n; change the choice until a chosen step is started."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways import queries
from pathways.learning.services import do_choose_electives, do_save_practice_answer
from pathways.models import ElectiveChoice, SelfAssessment, StepCompletion
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import add_rule, add_task, make_framework, make_group


def _setup(org, choose=2):
    fixture = make_pathway(org, n_steps=4)
    group = make_group(org, fixture, fixture.steps[:3], choose=choose)
    leo = make_member(org, "leo@example.com", is_learner=True)
    return fixture, group, leo, enroll(org, fixture, leo)


def _chosen(org, enrollment):
    with tenant_context(org):
        return {
            str(k)
            for k in ElectiveChoice.objects.filter(enrollment=enrollment).values_list(
                "step_key", flat=True
            )
        }


def test_it_records_exactly_k_choices(org_a, org_b):
    fixture, group, leo, enrollment = _setup(org_a)
    keys = [str(s.key) for s in fixture.steps]
    with tenant_context(org_a):
        do_choose_electives(leo, enrollment.pk, group.pk, keys[:2])
        [view] = queries.learner_enrollments(leo)
    assert _chosen(org_a, enrollment) == set(keys[:2])
    assert [s.state for s in view.steps] == ["available", "locked", "not_chosen", "locked"]


@pytest.mark.parametrize(
    "pick, message",
    [
        (lambda k: k[:1], "Choose exactly 2 of the 3 steps"),
        (lambda k: k[:3], "Choose exactly 2 of the 3 steps"),
        (lambda k: [k[0], k[3]], "Pick steps from this group only."),
    ],
)
def test_it_refuses_a_wrong_number_or_foreign_steps(org_a, org_b, pick, message):
    fixture, group, leo, enrollment = _setup(org_a)
    keys = [str(s.key) for s in fixture.steps]
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            do_choose_electives(leo, enrollment.pk, group.pk, pick(keys))
    assert any(message in m for m in exc.value.messages)
    assert _chosen(org_a, enrollment) == set()


def test_it_lets_the_learner_change_the_choice_until_a_chosen_step_is_started(org_a, org_b):
    fixture, group, leo, enrollment = _setup(org_a)
    add_task(org_a, fixture.steps[1].module_id)
    keys = [str(s.key) for s in fixture.steps]
    with tenant_context(org_a):
        do_choose_electives(leo, enrollment.pk, group.pk, keys[:2])
        do_choose_electives(leo, enrollment.pk, group.pk, [keys[1], keys[2]])
        assert _chosen(org_a, enrollment) == {keys[1], keys[2]}
        do_save_practice_answer(leo, fixture.steps[1].module_id, "Started it")
        with pytest.raises(ValidationError, match="You already started"):
            do_choose_electives(leo, enrollment.pk, group.pk, [keys[0], keys[2]])
        do_choose_electives(leo, enrollment.pk, group.pk, [keys[2], keys[1]])  # same: fine
    assert _chosen(org_a, enrollment) == {keys[1], keys[2]}


def test_it_fixes_the_choice_once_a_chosen_step_is_done(client, org_a, org_b):
    fixture, group, leo, enrollment = _setup(org_a, choose=1)
    keys = [str(s.key) for s in fixture.steps]
    with tenant_context(org_a):
        do_choose_electives(leo, enrollment.pk, group.pk, keys[:1])
        StepCompletion.objects.create(enrollment=enrollment, learner=leo, step_key=keys[0])
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/electives/"
    page = client.get(url).content.decode()
    assert "Your choice is fixed" in page
    response = client.post(url, {"group": group.pk, f"group-{group.pk}-steps": [keys[1]]})
    assert response.status_code == 400
    assert _chosen(org_a, enrollment) == {keys[0]}


def test_it_does_not_offer_a_step_the_baseline_skips(org_a, org_b):
    fixture, group, leo, enrollment = _setup(org_a, choose=2)
    [comp] = make_framework(org_a, ["Coaching"])
    add_rule(org_a, fixture.steps[0], comp, threshold=3)
    keys = [str(s.key) for s in fixture.steps]
    with tenant_context(org_a):
        SelfAssessment.objects.create(enrollment=enrollment, competency=comp, rating=4)
        with pytest.raises(ValidationError, match="skipped for you"):
            do_choose_electives(leo, enrollment.pk, group.pk, keys[:2])
        do_choose_electives(leo, enrollment.pk, group.pk, keys[1:3])
    assert _chosen(org_a, enrollment) == {keys[1], keys[2]}


def test_it_saves_the_choice_through_the_page(client, org_a, org_b):
    fixture, group, leo, enrollment = _setup(org_a)
    keys = [str(s.key) for s in fixture.steps]
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/electives/"
    assert "Choose 2 of 3" in client.get(url).content.decode()
    bad = client.post(url, {"group": group.pk, f"group-{group.pk}-steps": [keys[0]]})
    assert bad.status_code == 400 and "Choose exactly 2" in bad.content.decode()
    ok = client.post(url, {"group": group.pk, f"group-{group.pk}-steps": keys[:2]})
    assert ok.status_code == 302
    assert _chosen(org_a, enrollment) == set(keys[:2])
