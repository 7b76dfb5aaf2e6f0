"""In a real browser, an administrator builds a branching scenario: situations, choices with
feedback and behaviour scores, endings, a "try again" loop. The editor refuses to publish a
broken tree and names each problem (a loop with no way out among them, not the loop with an
exit); once fixed, the admin previews it and publishes it, and a learner plays it round the
loop to the debrief."""

from __future__ import annotations

import re
from typing import Any

import pytest

from organizations.tenancy import tenant_context
from pathways.models import (
    ChoiceScore,
    Scenario,
    ScenarioChoice,
    ScenarioDecision,
    ScenarioNode,
    ScenarioPlay,
)
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import htmx_ready, sign_in
from tests.pathways.library.conftest import make_competencies, make_tree

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "The missed deadline"


def add_node(page: Any, key: str, text: str, debrief: str = "") -> None:
    form = page.locator("section", has=page.get_by_role("heading", name="Add a situation"))
    form.get_by_label("Key").fill(key)
    form.get_by_role("textbox", name="Situation", exact=True).fill(text)
    if debrief:
        form.get_by_label("This is an ending").check()
        form.get_by_label("Debrief (endings)").fill(debrief)
    form.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text(f"“{key}” added.").wait_for()


def open_node(page: Any, key: str) -> None:
    """From the editor or from another node's page, open the page of node ``key``."""
    if not page.locator("#tree-heading").count():
        page.get_by_role("link", name=TITLE).click()
        page.locator("#tree-heading").wait_for()
    page.get_by_role("heading", name=key, exact=True).get_by_role("link").click()
    page.get_by_role("heading", name=re.compile(f"“{key}”")).wait_for()


def add_choice(
    page: Any,
    text: str,
    leads_to: str,
    feedback: str,
    effective: bool = False,
    scores: dict[str, str] | None = None,
) -> None:
    form = page.locator("section", has=page.get_by_role("heading", name="Add a choice"))
    form.get_by_role("textbox", name="Choice", exact=True).fill(text)
    form.get_by_label("Leads to").select_option(label=leads_to)
    form.get_by_role("textbox", name="Feedback").fill(feedback)
    if effective:
        form.get_by_label("This is the effective behaviour").check()
    for competency, score in (scores or {}).items():
        form.get_by_role("combobox", name=competency, exact=True).select_option(label=score)
    form.get_by_role("button", name="Add choice").click()
    page.get_by_text("Choice added to").wait_for()


def publish(page: Any) -> None:
    page.locator(".page-header").get_by_role("button", name="Publish").click()
    page.wait_for_load_state("networkidle")


def test_it_builds_checks_previews_and_publishes_a_scenario_a_learner_then_plays(
    page, org_a, org_b
):
    make_member(org_a, "boss@acme.example", is_admin=True)
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    make_member(org_b, "gil@globex.example", is_learner=True)
    make_competencies(org_a, "Giving feedback", "Listening")
    make_competencies(org_b, "Giving feedback")
    other = make_tree(org_b, {"a": ["b"], "b": None}, title="Globex onboarding")
    with tenant_context(org_b):
        Scenario.objects.filter(pk=other.pk).update(status=Scenario.Status.PUBLISHED)
    nav = page.get_by_role("navigation", name="Main")

    sign_in(page, "boss@acme.example", PASSWORD)
    nav.get_by_role("link", name="Modules").click()
    page.get_by_role("navigation", name="Library sections").get_by_role(
        "link", name="Scenarios"
    ).click()
    page.get_by_role("heading", name="No scenarios yet").wait_for()
    assert "Globex onboarding" not in page.content()
    page.get_by_role("link", name="Build the first scenario").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("A report is late again: what do you say to Sam?")
    page.get_by_role("button", name="Create scenario").click()
    page.get_by_text("Scenario created. Add the opening situation first.").wait_for()

    add_node(page, "opening", "Sam's quarterly report is two days late, again.")
    add_node(page, "ask", "Sam says the data team has not sent the figures.")
    add_node(page, "blame", "Sam goes quiet and looks at the floor.")
    add_node(page, "standoff", "Sam pushes back: the deadline was never realistic.")
    add_node(
        page,
        "agreed",
        "Sam proposes Thursday and asks you to nudge the data team.",
        debrief="Asking first surfaced the real blocker and kept Sam's ownership.",
    )
    add_node(
        page,
        "escalated",
        "Sam asks HR for a mediated meeting.",
        debrief="Handing the conversation to HR settled the date but cost trust.",
    )
    tree = page.locator("section[aria-labelledby='tree-heading']")
    assert "Start" in tree.locator("article", has_text="opening").inner_text()

    # Situations without choices: publishing is refused and each one is named.
    publish(page)
    page.get_by_text("The scenario cannot be published yet:").wait_for()
    refusal = page.locator(".messages").inner_text()
    for key in ["opening", "ask", "blame", "standoff"]:
        assert f"Situation “{key}” offers no choices and is not an ending." in refusal
    with tenant_context(org_a):
        assert Scenario.objects.get().status == Scenario.Status.DRAFT

    open_node(page, "opening")
    add_choice(
        page,
        "Ask what got in the way",
        "ask",
        "Sam feels trusted to explain; you learn the real blocker.",
        effective=True,
        scores={"Giving feedback": "+1", "Listening": "+2"},
    )
    add_choice(
        page,
        "Point out the date in the team meeting",
        "blame",
        "Sam feels exposed in front of peers.",
        scores={"Giving feedback": "-2"},
    )
    choices = page.locator("section[aria-labelledby='choices-heading']")
    assert "Giving feedback +1 · Listening +2" in choices.inner_text()
    open_node(page, "ask")
    add_choice(
        page,
        "Agree a new date together",
        "agreed",
        "A date Sam chose is a date Sam keeps.",
        effective=True,
        scores={"Giving feedback": "+2"},
    )
    add_choice(  # "try again": back to the opening, which has a way on to an ending
        page,
        "Set Friday as the new date",
        "opening",
        "Sam nods, but the blocker is still there.",
        scores={"Listening": "-1"},
    )
    open_node(page, "blame")
    add_choice(page, "Press for an answer", "standoff", "The pressure makes Sam defensive.")
    open_node(page, "standoff")
    add_choice(page, "Repeat that the date was clear", "blame", "Sam stops talking.")

    # An ending nobody can reach and a loop with no way out: refused, each named. The loop
    # back from "ask" to "opening" has a way out to an ending, so it is not a problem.
    page.get_by_role("link", name=TITLE).click()
    problems = page.locator(".form-errors")
    assert "2 problems to fix before publishing:" in problems.inner_text()
    publish(page)
    page.get_by_text("The scenario cannot be published yet:").wait_for()
    refusal = page.locator(".messages").inner_text()
    assert "“escalated” cannot be reached from the start node “opening”." in refusal
    assert "“blame”, “standoff” loop with no way out to an ending." in refusal
    assert "“opening”" not in refusal.replace("start node “opening”", "")
    assert "offers no choices" not in refusal

    problems.get_by_role("link", name=re.compile("loop with no way out")).click()
    page.get_by_role("heading", name="Situation “blame”").wait_for()
    open_node(page, "standoff")
    page.once("dialog", lambda dialog: dialog.accept())
    choices.locator(".card", has_text="Repeat that the date was clear").get_by_role(
        "button", name="Delete"
    ).click()
    page.get_by_text("Choice deleted.").wait_for()
    add_choice(
        page,
        "Ask HR to mediate",
        "escalated",
        "Mediation stops the row but costs trust.",
        scores={"Giving feedback": "-1"},
    )
    page.get_by_role("link", name=TITLE).click()
    page.get_by_text("The tree is sound").wait_for()

    # Preview as a learner would, to an ending; nothing is recorded.
    page.get_by_role("link", name="Play a preview").click()
    page.get_by_text("Nothing is recorded.").wait_for()
    page.get_by_role("link", name="Ask what got in the way").click()
    page.get_by_role("heading", name="You chose: Ask what got in the way").wait_for()
    page.get_by_role("link", name="Agree a new date together").click()
    page.get_by_role("heading", name="How it ended").wait_for()
    ended = page.locator("main").inner_text()
    assert "Asking first surfaced the real blocker" in ended
    assert "You made 2 effective choices out of 2." in ended
    totals = page.get_by_role("table")
    assert totals.get_by_role("row", name=re.compile("Giving feedback")).inner_text().endswith("+3")
    assert totals.get_by_role("row", name=re.compile("Listening")).inner_text().endswith("+2")
    with tenant_context(org_a):
        assert ScenarioPlay.objects.count() == 0

    page.get_by_role("link", name=f"Back to editing “{TITLE}”").click()
    publish(page)
    page.get_by_text(f"“{TITLE}” is now published.").wait_for()
    page.locator(".page-header").get_by_text("Published", exact=True).wait_for()

    # The learner plays it: a poor choice sends them back to the opening, where they decide
    # again (a decision of its own), then reach an ending.
    page.context.clear_cookies()
    sign_in(page, "leo@acme.example", PASSWORD)
    nav.get_by_role("link", name="Scenarios").click()
    assert "Globex onboarding" not in page.content()
    card = page.get_by_role("listitem").filter(has_text=TITLE)
    card.get_by_role("link", name="Play", exact=True).click()
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Sam's quarterly report is two days late, again.").wait_for()
    htmx_ready(page)
    play = page.locator("#scenario-play")

    def choose(text: str, effective: bool) -> None:
        play.get_by_role("button", name=text).click()
        play.get_by_role("heading", name=f"“{text}”").wait_for()
        badge = "Effective choice" if effective else "Not the most effective choice"
        play.get_by_text(badge, exact=True).wait_for()

    choose("Ask what got in the way", effective=True)
    assert "Listening +2" in play.inner_text()
    play.get_by_role("link", name="Continue").click()
    play.get_by_text("Decision 2").wait_for()
    assert "Sam says the data team has not sent the figures." in play.inner_text()
    choose("Set Friday as the new date", effective=False)
    play.get_by_role("link", name="Continue").click()
    play.get_by_text("Decision 3").wait_for()
    situation = play.inner_text()
    assert "Sam's quarterly report is two days late, again." in situation
    assert "You are back in this situation. At decision 1 you chose “Ask what got" in situation
    choose("Ask what got in the way", effective=True)
    play.get_by_role("link", name="Continue").click()
    play.get_by_text("Decision 4").wait_for()
    choose("Agree a new date together", effective=True)
    play.get_by_role("link", name="See your debrief").click()
    page.get_by_role("heading", name=f"Debrief: {TITLE}").wait_for()
    debrief = page.locator("main").inner_text()
    assert "Asking first surfaced the real blocker and kept Sam's ownership." in debrief
    assert "3 of your 4 choices were the most effective option." in debrief
    assert "You showed strong Giving feedback (+4)" in debrief  # +1, 0, +1, +2
    assert "You showed strong Listening (+3)" in debrief  # +2, −1, +2
    path = page.locator("section[aria-labelledby='path-title'] > ol > li")
    assert path.count() == 4
    assert "Decision 3: back in the situation of decision 1" in path.nth(2).inner_text()
    page.screenshot(path="test-artifacts/scenario-debrief.png", full_page=True)

    with tenant_context(org_a):
        scenario = Scenario.objects.get()
        assert scenario.status == Scenario.Status.PUBLISHED
        assert scenario.start_node.key == "opening"
        nodes = dict(ScenarioNode.objects.values_list("key", "is_ending"))
        assert nodes == {
            "opening": False,
            "ask": False,
            "blame": False,
            "standoff": False,
            "agreed": True,
            "escalated": True,
        }
        assert ScenarioChoice.objects.count() == 6
        scores = dict(
            ChoiceScore.objects.filter(choice__text="Ask what got in the way").values_list(
                "competency__name", "score"
            )
        )
        assert scores == {"Giving feedback": 1, "Listening": 2}
        play_row = ScenarioPlay.objects.get()
        assert play_row.learner_id == leo.pk and play_row.finished_at is not None
        assert play_row.current_node.key == "agreed"
        decisions = ScenarioDecision.objects.filter(play=play_row).order_by("sequence")
        assert [(d.sequence, d.node.key, d.choice.text) for d in decisions] == [
            (1, "opening", "Ask what got in the way"),
            (2, "ask", "Set Friday as the new date"),
            (3, "opening", "Ask what got in the way"),
            (4, "ask", "Agree a new date together"),
        ]
        assert ScenarioChoice.objects.get(text="Set Friday as the new date").next_node.key == (
            "opening"
        )
    with tenant_context(org_b):
        assert ScenarioPlay.objects.count() == 0
        assert Scenario.objects.get().title == "Globex onboarding"
