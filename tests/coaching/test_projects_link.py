"""Coaching and projects: a late project milestone on the coach's home; an experiment linked
to one of the coachee's projects (never another learner's, never another organisation's)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coaching import services
from coaching.models import Experiment
from organizations.tenancy import tenant_context
from projects.models import Milestone, Project, ProjectLearner
from tests.coaching.helpers import build_world


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=2)


def _project(w, learner, title, status=Project.Status.RUNNING):
    today = timezone.localdate()
    with tenant_context(w.org):
        project = Project.objects.create(
            cohort_id=w.cohort_id,
            owner=learner,
            title=title,
            problem="Handovers get lost",
            scope="team",
            expected_outcomes="Fewer lost handovers",
            start_date=today - dt.timedelta(days=30),
            end_date=today + dt.timedelta(days=60),
            status=status,
        )
        ProjectLearner.objects.create(project=project, learner=learner)
    return project


def test_the_coach_home_names_a_late_project_milestone(client, worlds):
    a, _b = worlds
    project = _project(a, a.learners[1], "Handover checklist")
    with tenant_context(a.org):
        late = timezone.localdate() - dt.timedelta(days=3)
        Milestone.objects.create(project=project, title="Pilot", due_on=late, approved_on=late)
    client.force_login(a.coach.user)
    body = client.get(f"/o/{a.org.slug}/coaching/").content.decode()
    assert "1 project milestone late" in body


def test_an_experiment_links_the_coachees_project_and_the_page_links_it(client, worlds):
    a, _b = worlds
    project = _project(a, a.learners[0], "Handover checklist")
    engagement = a.engagements[0].pk
    client.force_login(a.coach.user)
    url = f"/o/{a.org.slug}/coaching/engagements/{engagement}/"
    page = client.get(url).content.decode()
    assert f'<option value="{project.pk}">Handover checklist</option>' in page
    client.post(
        url + "experiments/",
        {
            "kind": "experiment",
            "action": "Run the checklist at one handover",
            "project": project.pk,
            "due_on": timezone.localdate().isoformat(),
        },
    )
    with tenant_context(a.org):
        assert Experiment.objects.get().project_id == project.pk
    page = client.get(url).content.decode()
    assert f'href="/o/{a.org.slug}/projects/{project.pk}/">Handover checklist</a>' in page
    assert client.get(f"/o/{a.org.slug}/projects/{project.pk}/").status_code == 200


def test_the_service_refuses_another_learners_project(worlds):
    a, _b = worlds
    theirs = _project(a, a.learners[1], "Someone else's")
    with tenant_context(a.org), pytest.raises(ValidationError) as refused:
        services.do_add_experiment(
            a.coach,
            a.engagements[0].pk,
            action="Try it",
            due_on=timezone.localdate(),
            project=theirs.pk,
        )
    assert refused.value.message_dict == {"project": ["Choose one of the coachee's own projects."]}


def test_another_organisations_project_id_is_refused(client, worlds):
    a, b = worlds
    foreign = _project(b, b.learners[0], "Org B project")
    client.force_login(a.coach.user)
    url = f"/o/{a.org.slug}/coaching/engagements/{a.engagements[0].pk}/"
    response = client.post(
        url + "experiments/",
        {
            "kind": "experiment",
            "action": "Try it",
            "project": foreign.pk,
            "due_on": timezone.localdate().isoformat(),
        },
    )
    body = response.content.decode()
    # The coachee has no project, so the form offers none: the error heads the form.
    assert "<li>Choose one of the coachee&#x27;s own projects.</li>" in body
    assert "Org B project" not in body
    with tenant_context(a.org):
        assert not Experiment.objects.exists()


def test_another_learners_project_is_refused_next_to_the_project_field(client, worlds):
    a, _b = worlds
    _project(a, a.learners[0], "Handover checklist")
    theirs = _project(a, a.learners[1], "Someone else's")
    client.force_login(a.coach.user)
    url = f"/o/{a.org.slug}/coaching/engagements/{a.engagements[0].pk}/experiments/"
    data = {
        "kind": "experiment",
        "action": "Try it",
        "project": theirs.pk,
        "due_on": timezone.localdate().isoformat(),
    }
    body = client.post(url, data, HTTP_HX_REQUEST="true").content.decode()
    assert (
        '<p class="field__error" id="experiment_project_error">'
        "Choose one of the coachee&#x27;s own projects.</p>"
    ) in body
    select = re.search(r'<select[^>]*id="experiment_project"[^>]*>', body)
    assert select and 'aria-invalid="true"' in select.group(0)
    with tenant_context(a.org):
        assert not Experiment.objects.exists()
