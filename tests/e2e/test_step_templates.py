"""In a real browser, an administrator writes a project template and a coaching conversation
template, puts both into a draft pathway as steps, and is refused when deleting a template
a pathway uses."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coaching.models import ConversationFocus, ConversationTemplate
from organizations.tenancy import tenant_context
from pathways.builder import services as builder
from pathways.models import Step
from projects.models import MilestoneTemplate, ProjectTemplate, ProjectTemplateCompetency
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import sign_in
from tests.pathways.library.conftest import make_competencies

pytestmark = pytest.mark.django_db(transaction=True)

PATHWAY = "First-Time Manager Essentials"
PROJECT = "Lead a real change in your area"
CONVERSATION = "Mid-programme check-in"
QUESTIONS = (
    "What have you tried since we last met?\n"
    "Where did your team push back, and what did you do?\n"
    "What will you do differently next week?"
)


def test_it_writes_both_templates_adds_them_as_steps_and_keeps_a_used_template(page, org_a, org_b):
    make_member(org_a, "boss@acme.example", is_admin=True)
    make_competencies(org_a, "Giving feedback", "Leading change", "Listening")
    make_competencies(org_b, "Negotiation")
    with tenant_context(org_a):
        builder.do_create_pathway(None, name=PATHWAY, purpose="Grow new managers")
    with tenant_context(org_b):
        ProjectTemplate.objects.create(title="Globex turnaround", brief="Not yours.")
    nav = page.get_by_role("navigation", name="Main")

    sign_in(page, "boss@acme.example", PASSWORD)
    nav.get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name="Project templates").click()
    page.get_by_role("heading", name="No project templates yet").wait_for()
    page.get_by_role("link", name="Create the first project template").click()

    # The project template: brief, outcomes, scope, sponsor, competencies, milestones.
    page.get_by_role("textbox", name="Title", exact=True).fill(PROJECT)
    page.get_by_label("Brief").fill("Pick a process your team owns and change it for the better.")
    page.get_by_label("Expected outcomes").fill("A measurable gain; a team that owns the change.")
    page.get_by_label("Cross-functional").check()
    page.get_by_label("A sponsor must sign off the project").check()
    page.get_by_label("Leading change (Leadership)").check()
    page.get_by_label("Giving feedback (Leadership)").check()
    assert "Negotiation" not in page.content()
    page.get_by_label("Milestone 1 title").fill("Map the process as it is")
    page.get_by_label("Milestone 1 week").fill("1")
    page.get_by_role("button", name="Add a milestone row").click()
    expect(page.get_by_label("Milestone 2 title")).to_be_focused()  # the keyboard is there
    page.get_by_label("Milestone 2 title").fill("Agree the change with your sponsor")
    page.get_by_label("Milestone 2 week").fill("3")
    page.get_by_role("button", name="Add a milestone row").click()
    page.get_by_label("Milestone 3 title").fill("Present the results")  # its week forgotten
    page.get_by_role("button", name="Save template").click()

    error = "Say in which week this milestone falls."
    week = page.get_by_label("Milestone 3 week")
    week.wait_for()
    cell = page.locator("td", has=week)
    assert cell.locator(".field__error").inner_text() == error  # next to its field
    assert error in page.locator(".form-errors").inner_text()  # and in the summary
    with tenant_context(org_a):
        assert ProjectTemplate.objects.count() == 0
    assert page.get_by_label("Cross-functional").is_checked()  # nothing typed was lost
    assert page.get_by_label("Milestone 2 title").input_value() == (
        "Agree the change with your sponsor"
    )
    week.fill("8")
    page.get_by_role("button", name="Save template").click()
    page.get_by_text(f"Project template “{PROJECT}” saved.").wait_for()
    row = page.get_by_role("row", name=re.compile(PROJECT))
    cells = row.locator("td")
    assert cells.nth(0).inner_text() == "Cross-functional"
    assert cells.nth(1).inner_text() == "Giving feedback, Leading change"
    assert cells.nth(2).inner_text() == "3 over 8 weeks"
    assert cells.nth(3).inner_text() == "Required"
    assert cells.nth(4).inner_text() == "0"
    assert "Globex turnaround" not in page.content()

    # The coaching conversation template.
    page.get_by_role("link", name="Coaching conversation templates").click()
    page.get_by_role("heading", name="No conversation templates yet").wait_for()
    page.get_by_role("link", name="Create the first conversation template").click()
    page.get_by_role("textbox", name="Title", exact=True).fill(CONVERSATION)
    page.get_by_label("Purpose").fill("Take stock halfway: what changed at work, what is next.")
    page.get_by_label("Questions for the coach").fill(QUESTIONS)
    page.get_by_label("Suggested timing").fill("After the project's first milestone")
    page.get_by_label("Listening (Leadership)").check()
    page.get_by_label("Leading change (Leadership)").check()
    page.get_by_role("button", name="Save template").click()
    page.get_by_text(f"Conversation template “{CONVERSATION}” saved.").wait_for()
    card = page.get_by_role("region", name=CONVERSATION)
    summary = card.inner_text()
    assert "Leading change, Listening" in summary
    assert "After the project's first milestone" in summary
    assert "3 questions" in summary and "used in 0 steps" in summary

    # Both as steps of the draft pathway.
    nav.get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name="Continue draft v1").click()
    page.get_by_role("link", name="Add a step to Stage 1").click()
    page.get_by_label("Project", exact=True).check()
    page.get_by_label("Project template (for a project step)").select_option(label=PROJECT)
    page.get_by_label("Opens (days after cohort start)").fill("7")
    page.get_by_role("button", name="Add step").click()
    page.get_by_text(f"Step “{PROJECT}” added.").wait_for()
    page.get_by_role("link", name="Add a step to Stage 1").click()
    page.get_by_label("Coaching conversation", exact=True).check()
    page.get_by_label("Conversation template (for a coaching step)").select_option(
        label=CONVERSATION
    )
    page.get_by_label("Opens (days after cohort start)").fill("21")
    page.get_by_role("button", name="Add step").click()
    page.get_by_text(f"Step “{CONVERSATION}” added.").wait_for()
    steps = page.locator("ol.steps li.step")
    assert steps.count() == 2
    assert PROJECT in steps.nth(0).inner_text() and "Project" in steps.nth(0).inner_text()
    assert CONVERSATION in steps.nth(1).inner_text()
    assert "Coaching conversation" in steps.nth(1).inner_text()
    assert "2 steps in 1 stage" in page.locator("dl.kv").inner_text()

    # The project template is in use: deleting it is refused, naming the pathway.
    nav.get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name="Project templates").click()
    assert page.get_by_role("row", name=re.compile(PROJECT)).locator("td").nth(4).inner_text() == (
        "1"
    )
    page.get_by_role("link", name=PROJECT).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete template").click()
    refusal = page.get_by_text("and cannot be deleted")
    refusal.wait_for()
    assert f"“{PROJECT}” is used by 1 pathway step(s) ({PATHWAY} v1)" in refusal.inner_text()
    assert page.get_by_role("heading", name=PROJECT).is_visible()  # still on its page

    with tenant_context(org_a):
        project = ProjectTemplate.objects.get()
        assert (project.scope, project.sponsor_required) == ("cross_functional", True)
        assert project.expected_outcomes.startswith("A measurable gain")
        milestones = list(
            MilestoneTemplate.objects.filter(template=project).values_list("title", "offset_weeks")
        )
        assert milestones == [
            ("Map the process as it is", 1),
            ("Agree the change with your sponsor", 3),
            ("Present the results", 8),
        ]
        linked = ProjectTemplateCompetency.objects.filter(template=project)
        assert sorted(linked.values_list("competency__name", flat=True)) == [
            "Giving feedback",
            "Leading change",
        ]
        conversation = ConversationTemplate.objects.get()
        assert conversation.question_list == QUESTIONS.splitlines()
        assert sorted(
            ConversationFocus.objects.filter(template=conversation).values_list(
                "competency__name", flat=True
            )
        ) == ["Leading change", "Listening"]
        steps_db = Step.objects.filter(version__pathway__name=PATHWAY).order_by("position")
        assert [(s.kind, s.available_offset_days) for s in steps_db] == [
            ("project", 7),
            ("coaching", 21),
        ]
        assert steps_db[0].project_template_id == project.pk
        assert steps_db[1].conversation_template_id == conversation.pk
    with tenant_context(org_b):
        assert list(ProjectTemplate.objects.values_list("title", flat=True)) == [
            "Globex turnaround"
        ]
        assert ConversationTemplate.objects.count() == 0
