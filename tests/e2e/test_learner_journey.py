"""In a real browser, a learner's whole journey: the next step on the home, a module with its
practice task, marking it done, reviewing a due card and playing a scenario to its debrief."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from competencies.models import Competency, Framework, ProficiencyLevel
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import (
    ChoiceScore,
    Cohort,
    Enrollment,
    Module,
    ModuleCompetency,
    Pathway,
    PathwayVersion,
    PracticeAnswer,
    PracticeTask,
    RetrievalItem,
    RetrievalOption,
    ReviewCard,
    ReviewLog,
    Scenario,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioNode,
    ScenarioPlay,
    SelfAssessment,
    Stage,
    Step,
    StepCompletion,
    VersionCompetency,
)
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path("test-artifacts")


@dataclass
class Journey:
    learner: Membership
    enrollment: Enrollment
    first: Module
    second: Module
    scenario: Scenario


def _module(org: Organization, competency: Competency, title: str, n: int) -> Module:
    """A published module with a practice task, a multiple-choice and a free-recall item."""
    module = Module.objects.create(
        title=title,
        summary=f"{title}: the one habit worth keeping.",
        body=f"## {title}\n\nName the **behaviour**, then its impact.",
        minutes=8,
        status=Module.Status.PUBLISHED,
    )
    ModuleCompetency.objects.create(module=module, competency=competency)
    PracticeTask.objects.create(module=module, prompt=f"Plan one conversation ({n}) this week.")
    choice = RetrievalItem.objects.create(
        module=module,
        competency=competency,
        kind=RetrievalItem.Kind.MULTIPLE_CHOICE,
        prompt=f"Module {n}: what makes feedback land?",
        position=0,
    )
    RetrievalOption.objects.create(
        item=choice,
        text="Specific behaviour and its impact",
        is_correct=True,
        feedback="Yes: it can be acted on.",
        position=0,
    )
    RetrievalOption.objects.create(
        item=choice, text="A verdict on personality", feedback="Nobody can act on that.", position=1
    )
    RetrievalItem.objects.create(
        module=module,
        competency=competency,
        kind=RetrievalItem.Kind.FREE_RECALL,
        prompt=f"Module {n}: name the three parts of the feedback model.",
        model_answer="Situation, behaviour, impact.",
        position=1,
    )
    return module


def _scenario(competency: Competency, module: Module) -> Scenario:
    """start -> (ask: middle | take over: bad ending); middle -> (agree: good ending)."""
    scenario = Scenario.objects.create(
        title="The missed deadline",
        summary="Sam has missed two deadlines.",
        module=module,
        status=Scenario.Status.PUBLISHED,
    )
    node = ScenarioNode.objects.create
    start = node(scenario=scenario, key="start", text="Sam missed two deadlines.", position=0)
    middle = node(scenario=scenario, key="middle", text="Sam says priorities clash.", position=1)
    good = node(
        scenario=scenario,
        key="good-end",
        text="Sam delivers the next milestone early.",
        is_ending=True,
        debrief="Asking first and agreeing a plan Sam owns built commitment.",
        position=2,
    )
    bad = node(
        scenario=scenario,
        key="bad-end",
        text="You finish the work yourself at midnight.",
        is_ending=True,
        debrief="Taking the work back solves today and weakens tomorrow.",
        position=3,
    )
    scenario.start_node = start
    scenario.save()
    choice = ScenarioChoice.objects.create
    ask = choice(
        node=start,
        text="Ask Sam what is getting in the way",
        next_node=middle,
        feedback="Sam opens up about competing requests.",
        is_effective=True,
        position=0,
    )
    choice(node=start, text="Take the work over", next_node=bad, feedback="Relief.", position=1)
    agree = choice(
        node=middle,
        text="Agree a plan Sam owns",
        next_node=good,
        feedback="Sam proposes two changes.",
        is_effective=True,
        position=0,
    )
    ChoiceScore.objects.create(choice=ask, competency=competency, score=2)
    ChoiceScore.objects.create(choice=agree, competency=competency, score=1)
    return scenario


def _journey(org: Organization) -> Journey:
    """A running cohort on a published two-module pathway, a learner who has taken the
    self-assessment, and a published branching scenario."""
    learner = make_member(org, "leo@a.example", is_learner=True)
    with tenant_context(org):
        framework = Framework.objects.create(name="Leadership")
        for value in range(1, 6):
            ProficiencyLevel.objects.create(framework=framework, value=value, label=f"L{value}")
        feedback = Competency.objects.create(framework=framework, name="Giving feedback")
        first = _module(org, feedback, "Feedback that lands", 1)
        second = _module(org, feedback, "Feedback in one-to-ones", 2)
        pathway = Pathway.objects.create(name="Leading Through Change")
        version = PathwayVersion.objects.create(
            pathway=pathway, number=1, status=PathwayVersion.Status.PUBLISHED
        )
        VersionCompetency.objects.create(version=version, competency=feedback)
        stage = Stage.objects.create(version=version, title="Lead others", position=0)
        for position, module in enumerate([first, second]):
            Step.objects.create(version=version, stage=stage, module=module, position=position)
        cohort = Cohort.objects.create(
            name="Spring leaders",
            version=version,
            start_date=timezone.localdate() - dt.timedelta(days=3),
        )
        enrollment = Enrollment.objects.create(cohort=cohort, learner=learner, version=version)
        SelfAssessment.objects.create(enrollment=enrollment, competency=feedback, rating=2)
        scenario = _scenario(feedback, first)
    return Journey(learner, enrollment, first, second, scenario)


def test_it_takes_a_learner_from_the_next_step_to_a_scenario_debrief(page, org_a, org_b):
    journey = _journey(org_a)
    make_member(org_b, "leo@a.example", is_learner=True)  # same person, other organisation

    sign_in(page, "leo@a.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/")
    primary = page.locator(".card--primary")
    primary.get_by_text("Feedback that lands").wait_for()
    assert "Next in Lead others of Leading Through Change" in primary.inner_text()
    assert "0 of 2 steps done" in page.locator("main").inner_text()

    # The module: content, practice answer saved in place, then marked done.
    primary.get_by_role("link", name="Open module").click()
    page.get_by_role("heading", name="Feedback that lands", level=1).wait_for()
    assert "Name the behaviour, then its impact." in page.locator("article.prose").inner_text()
    assert "Plan one conversation (1) this week." in page.locator("#practice").inner_text()
    page.get_by_label("Your answer").fill("I will give Sam feedback on the report on Friday.")
    page.get_by_role("button", name="Save answer").click()
    page.get_by_text("Answer saved as evidence.").wait_for()
    assert "Marking it done adds 2 questions to your spaced reviews." in page.content()
    page.locator("main .card--primary").get_by_role("button", name="Mark done").click()
    page.get_by_text("2 questions were added to your reviews.").wait_for()
    page.get_by_role("link", name="Back to your next step").click()
    assert "1 of 2 steps done" in page.locator("main").inner_text()

    # The review session: the cards the module added are due now.
    primary = page.locator(".card--primary")
    assert "2 reviews due" in primary.inner_text()
    primary.get_by_role("link", name="Start reviewing").click()
    page.get_by_text("Card 1 of 2").wait_for()
    assert "Module 1: what makes feedback land?" in page.locator("#review").inner_text()
    page.get_by_label("Specific behaviour and its impact").check()
    page.get_by_role("button", name="Check answer").click()
    page.get_by_role("heading", name="Right").wait_for()
    assert "Yes: it can be acted on." in page.locator("#review").inner_text()
    page.get_by_role("link", name="Next card (1 more due)").click()
    page.get_by_text("Card 2 of 2").wait_for()
    page.get_by_label("Your answer (optional)").fill("Situation, behaviour, impact.")
    page.get_by_text("Show the model answer").click()
    page.get_by_role("button", name="Good").click()
    page.get_by_role("heading", name="Saved as “Good”").wait_for()
    page.get_by_role("link", name="Finish").click()
    page.get_by_role("heading", name="All reviews done for now").wait_for()

    # The scenario: two choices, feedback after each, an ending and its debrief.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scenarios").click()
    page.get_by_role("heading", name="The missed deadline").wait_for()
    page.get_by_role("link", name="Play", exact=True).click()
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text("Sam missed two deadlines.").wait_for()
    page.get_by_role("button", name="Ask Sam what is getting in the way").click()
    page.get_by_text("Sam opens up about competing requests.").wait_for()  # htmx, in place
    assert "Effective choice" in page.locator("#scenario-play").inner_text()
    page.get_by_role("link", name="Continue").click()
    page.get_by_text("Sam says priorities clash.").wait_for()
    assert "Decision 2" in page.locator("#scenario-play").inner_text()
    page.get_by_role("button", name="Agree a plan Sam owns").click()
    page.get_by_text("Sam proposes two changes.").wait_for()
    page.get_by_role("link", name="See your debrief").click()
    page.get_by_role("heading", name="Debrief: The missed deadline").wait_for()
    main = page.locator("main").inner_text()
    assert "Sam delivers the next milestone early." in main
    assert "Asking first and agreeing a plan Sam owns built commitment." in main
    assert "Played to an ending" in main and "with 2 choices" in main
    assert "2 of your 2 choices were the most effective option." in main
    assert "You showed strong Giving feedback (+3)" in main  # +2 and +1 from the two choices
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "learner-journey-debrief.png"), full_page=True)

    page.goto(f"/o/{org_a.slug}/")
    assert "1 of 2 steps done" in page.locator("main").inner_text()
    assert "Feedback in one-to-ones" in page.locator(".card--primary").inner_text()

    learner = journey.learner
    with tenant_context(org_a):
        completion = StepCompletion.objects.get(learner=learner)
        assert completion.enrollment_id == journey.enrollment.pk
        answer = PracticeAnswer.objects.get(learner=learner)
        assert answer.task.module_id == journey.first.pk
        assert answer.text == "I will give Sam feedback on the report on Friday."
        assert ReviewCard.objects.filter(learner=learner).count() == 2
        logs = list(ReviewLog.objects.filter(learner=learner).order_by("reviewed_at", "id"))
        assert [log.rating for log in logs] == [3, 3]  # right and quick; self-graded Good
        assert all(log.due_after > log.due_before for log in logs)
        play = ScenarioPlay.objects.get(learner=learner, scenario=journey.scenario)
        assert play.finished_at is not None and play.current_node.key == "good-end"
        decisions = ScenarioDecision.objects.filter(play=play)
        assert [d.choice.text for d in decisions] == [
            "Ask Sam what is getting in the way",
            "Agree a plan Sam owns",
        ]
