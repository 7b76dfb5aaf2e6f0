"""The create forms that lacked it refuse a second, identical submit: adding an indicator, a
three-way note, a cost line, a stage, a personalisation rule, an elective group, and posting a
project update. Two identical POSTs make one row; the second sees the first's result (or a
message naming it). A real PostgreSQL race shows two submits at once make one indicator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coaching import services as coaching_services
from coaching.models import ThreeWayNote
from competencies import services as competency_services
from competencies.models import BehaviouralIndicator
from measurement.models import CostLine
from organizations.tenancy import tenant_context
from pathways.models import ElectiveGroup, PersonalisationRule, Stage
from projects.models import StatusUpdate
from tests.coaching.helpers import build_world
from tests.conftest import make_member, make_pathway, requires_postgres
from tests.pathways.builder.helpers import make_competencies, make_draft
from tests.projects.helpers import make_world, running
from tests.races import race


@pytest.fixture
def admin(org_a):
    return make_member(org_a, "admin@a.example", is_admin=True)


def _twice(client, url, data):
    first = client.post(url, data, follow=True)
    second = client.post(url, data, follow=True)
    assert first.status_code == second.status_code == 200
    return first.content.decode(), second.content.decode()


def test_a_double_submit_of_an_indicator_adds_one(client, org_a, org_b, admin):
    [competency] = make_competencies(org_a, 1)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/competencies/competency/{competency.pk}/indicators/add/"
    first, second = _twice(client, url, {"text": "Asks before telling"})
    assert "Indicator added." in first
    assert "This competency already has this indicator." in second
    with tenant_context(org_a):
        assert BehaviouralIndicator.objects.filter(competency=competency).count() == 1
        # The same words on another competency are fine.
        other = make_competencies(org_a, 2)[1]
        competency_services.do_add_indicator(None, other, "asks before telling")
        assert BehaviouralIndicator.objects.count() == 2


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_submits_of_an_indicator_at_once_add_one(org_a, org_b):
    [competency] = make_competencies(org_a, 1)

    def add():
        return competency_services.do_add_indicator(None, competency, "Asks before telling")

    outcome = race(org_a, add, add)
    assert isinstance(outcome, ValidationError), outcome
    with tenant_context(org_a):
        assert BehaviouralIndicator.objects.count() == 1


def test_a_double_submit_of_a_three_way_note_adds_one(client, org_a, org_b):
    w = build_world(org_a, "a", n_learners=1)
    engagement = w.engagements[0]
    client.force_login(w.sponsor.user)
    url = f"/o/{org_a.slug}/coaching/engagements/{engagement.pk}/notes/"
    first, second = _twice(client, url, {"text": "Expectations agreed for Q3."})
    assert "Three-way note added" in first and "Three-way note added" in second
    with tenant_context(org_a):
        assert ThreeWayNote.objects.filter(engagement_id=engagement.pk).count() == 1
        # A different note, or the same words after another note, is a new note.
        coaching_services.do_add_three_way_note(w.sponsor, engagement.pk, "Check in July.")
        coaching_services.do_add_three_way_note(
            w.sponsor, engagement.pk, "Expectations agreed for Q3."
        )
        assert ThreeWayNote.objects.filter(engagement_id=engagement.pk).count() == 3


def test_a_double_submit_of_a_cost_line_adds_one(client, org_a, org_b, admin):
    fixture = make_pathway(org_a, n_steps=1)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/impact/cohorts/{fixture.cohort.pk}/costs/"
    data = {
        "category": "facilitation",
        "description": "Workshop day",
        "amount": "1200",
        "shared_by": 1,
    }
    first, second = _twice(client, url, data)
    assert "Cost line added." in first
    assert "This cohort already has this cost line" in second
    with tenant_context(org_a):
        assert CostLine.objects.count() == 1
        assert CostLine.objects.get().amount == Decimal("1200.00")


def test_a_double_submit_of_a_stage_adds_one(client, org_a, org_b, admin):
    draft = make_draft(org_a)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/stages/add/"
    first, second = _twice(client, url, {"title": "Lead others"})
    assert "already has a stage called “Lead others”" in second
    with tenant_context(org_a):
        assert Stage.objects.filter(version=draft.version, title="Lead others").count() == 1


def test_a_double_submit_of_a_rule_adds_one(client, org_a, org_b, admin):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/pathways/steps/{draft.steps[1].pk}/rules/add/"
    data = {"action": "include_at_least", "threshold": 4, "competency": competency.pk}
    first, second = _twice(client, url, data)
    assert "Personalisation rule added." in first
    assert "This step already has this rule." in second
    with tenant_context(org_a):
        assert PersonalisationRule.objects.count() == 1


def test_a_double_submit_of_an_elective_group_adds_one(client, org_a, org_b, admin):
    draft = make_draft(org_a)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/pathways/versions/{draft.version.pk}/groups/add/"
    data = {"title": "Pick one", "choose": 1, "steps": [s.pk for s in draft.steps[:2]]}
    first, second = _twice(client, url, data)
    assert "already has an elective group called “Pick one”" in second
    with tenant_context(org_a):
        [group] = ElectiveGroup.objects.all()
        assert sorted(group.steps.values_list("pk", flat=True)) == sorted(
            s.pk for s in draft.steps[:2]
        )


def test_a_double_submit_of_a_project_update_posts_one(client, org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    client.force_login(world.learner.user)
    url = f"/o/{org_a.slug}/projects/{project.pk}/updates/"
    first, second = _twice(client, url, {"rag": "green", "progress": "Pilot going well"})
    assert "Status update posted." in first and "Status update posted." in second
    with tenant_context(org_a):
        assert StatusUpdate.objects.filter(project=project).count() == 1
    client.post(url, {"rag": "amber", "progress": "Pilot going well"})  # a real change
    with tenant_context(org_a):
        assert StatusUpdate.objects.filter(project=project).count() == 2
