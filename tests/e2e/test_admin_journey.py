"""In a real browser, an administrator designs a programme from nothing: a competency with a
behavioural indicator, a module with practice and a retrieval question, a published pathway,
people imported from CSV and a cohort of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from competencies.models import BehaviouralIndicator, Competency
from organizations.models import AuditEntry, Membership
from organizations.tenancy import tenant_context
from pathways.models import (
    Cohort,
    Enrollment,
    Module,
    PathwayVersion,
    PracticeTask,
    RetrievalItem,
    RetrievalOption,
    Step,
)
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import htmx_ready, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path("test-artifacts")
CSV = (
    "email,name,title,function,team,manager_email,roles\n"
    "ana@acme.example,Ana Silva,Head of Sales,Commercial,Sales,,learner;sponsor\n"
    "ben@acme.example,Ben Okafor,Account Manager,Commercial,Sales,ana@acme.example,learner\n"
    "cy@acme.example,Cy Tanaka,Account Manager,Commercial,Sales,ana@acme.example,learner\n"
    "dee@acme.example,Dee Novak,Engineering Lead,Technology,Engineering,,learner\n"
)
BODY = "## Situation, behaviour, impact\n\nName the **behaviour** you saw, then its impact."


def test_an_admin_builds_a_programme_and_starts_a_cohort_of_imported_people(
    page, org_a, org_b, tmp_path
):
    make_member(org_a, "boss@acme.example", is_admin=True)
    make_member(org_b, "ana@acme.example", is_learner=True)  # same e-mail, other organisation
    people_csv = tmp_path / "people.csv"
    people_csv.write_text(CSV)
    nav = page.get_by_role("navigation", name="Main")

    sign_in(page, "boss@acme.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/")
    page.get_by_role("heading", name="No cohorts yet").wait_for()

    # A competency framework, a competency and one of its behavioural indicators.
    nav.get_by_role("link", name="Competencies").click()
    page.get_by_role("link", name="Create a framework").click()
    page.get_by_label("Name").fill("Leadership essentials")
    page.get_by_role("button", name="Create framework").click()
    page.get_by_text("Framework created with the default 1–5 scale.").wait_for()
    add = page.locator("#add-competency")
    add.get_by_label("Name").fill("Giving feedback")
    add.get_by_label("Category").fill("Leading others")
    add.get_by_label("Description").fill("Says what they saw and why it matters, promptly.")
    add.get_by_role("button", name="Add competency").click()
    page.get_by_text("“Giving feedback” added.").wait_for()
    card = page.locator("#competency-list article", has_text="Giving feedback")
    card.get_by_label("New behavioural indicator").fill("Names the behaviour, not the person.")
    card.get_by_role("button", name="Add indicator").click()
    card.get_by_text("1 behavioural indicator", exact=True).wait_for()  # swapped in by htmx
    assert "Names the behaviour, not the person." in card.inner_text()

    # A micro-module with a practice task and a multiple-choice retrieval question, published.
    nav.get_by_role("link", name="Modules").click()
    page.get_by_role("link", name="Write the first module").click()
    page.get_by_label("Title").fill("Feedback that lands")
    page.get_by_label("Summary").fill("Situation, behaviour, impact in two minutes.")
    page.get_by_label("Body (Markdown)").fill(BODY)
    page.get_by_label("Estimated minutes").fill("7")
    page.get_by_label("Giving feedback").check()
    page.get_by_role("button", name="Create module").click()
    page.get_by_text("Module created as a draft.").wait_for()
    assert "no practice task yet" in page.locator(".page-header").inner_text()

    practice = page.locator("#practice")
    practice.get_by_label("Prompt").fill("Write the feedback you will give this week.")
    practice.get_by_role("button", name="Save practice task").click()
    page.get_by_text("Practice task saved.").wait_for()

    items = page.locator("#retrieval-items")
    items.get_by_text("Add a question").click()
    items.get_by_label("Question").fill("What makes feedback land?")
    items.get_by_label("Competency").select_option(label="Giving feedback")
    items.get_by_label("Option 1", exact=True).fill("Specific behaviour and its impact")
    items.get_by_label("Feedback on option 1").fill("Yes: it can be acted on.")
    items.get_by_label("Option 1 is correct").check()
    items.get_by_label("Option 2", exact=True).fill("A verdict on personality")
    items.get_by_label("Feedback on option 2").fill("Nobody can act on that.")
    items.get_by_role("button", name="Add question").click()
    page.locator("#retrieval-items").get_by_text("Question added.").wait_for()
    assert "What makes feedback land?" in page.locator("#retrieval-items").inner_text()

    page.locator(".page-header").get_by_role("button", name="Publish").click()
    page.get_by_text("“Feedback that lands” is now published.").wait_for()

    # A pathway with a stage holding the module, published.
    nav.get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name="Create the first pathway").click()
    page.get_by_label("Name").fill("Leading Through Change")
    page.get_by_label("Purpose").fill(
        "First-time managers learn to lead their team through change."
    )
    page.get_by_label("Giving feedback").check()
    page.get_by_role("button", name="Create draft").click()
    page.get_by_text("Pathway created as draft version 1.").wait_for()
    page.get_by_label("Stage title").fill("Lead others")
    page.get_by_role("button", name="Add stage").click()
    page.get_by_role("heading", name=re.compile(r"^Lead others")).wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    delete_starter = page.get_by_role("button", name=re.compile(r"^Delete\s*: Stage 1$"))
    delete_starter.click()  # the empty stage every new pathway starts with
    page.get_by_text("Stage 1", exact=True).wait_for(state="detached")
    page.get_by_role("link", name="Add a step to Lead others").click()
    page.get_by_label("Module", exact=True).check()
    page.get_by_label("Module (for a module step)").select_option(label="Feedback that lands")
    page.get_by_role("button", name="Add step").click()
    page.get_by_text("Step “Feedback that lands” added.").wait_for()
    assert "1 step in 1 stage" in page.locator("dl.kv").inner_text()
    page.get_by_role("link", name="Review and publish").click()
    page.get_by_text("Checks passed").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Version 1 published.").wait_for()
    assert "Published" in page.locator(".page-header__title").inner_text()

    # People from a CSV file: preview first, then applied.
    nav.get_by_role("link", name="People").click()
    tabs = page.get_by_role("navigation", name="People and teams")
    tabs.get_by_role("link", name="Import from CSV").click()
    page.get_by_label("CSV file").set_input_files(str(people_csv))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("What this import will change").wait_for()
    preview = page.locator("main").inner_text()
    teams = re.search(r"Teams to create: (.*)", preview)
    assert teams and sorted(teams.group(1).split(", ")) == ["Engineering", "Sales"]
    assert re.search(r"4\s+new people", preview)
    with tenant_context(org_a):
        assert Membership.objects.count() == 1  # nothing written before the confirmation
    page.get_by_role("button", name="Apply 6 changes").click()
    page.get_by_text("Import applied: 6 change(s).").wait_for()

    # A cohort on the published version: the Sales team by filter, Dee individually.
    nav.get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name="Start a cohort").first.click()
    page.get_by_label("Name").fill("Spring leaders")
    page.get_by_label("Pathway").select_option(label="Leading Through Change v1")
    page.get_by_label("Start date").fill("2026-03-02")
    page.get_by_role("button", name="Create cohort").click()
    page.get_by_text("Cohort “Spring leaders” created").wait_for()
    # The cohort page links to the filters; their page previews the count as they change.
    page.get_by_role("link", name="Add learners by filter").click()
    page.get_by_role("heading", name="Add learners by filter").wait_for()
    htmx_ready(page)
    page.get_by_label("Team").select_option(label="Sales")
    page.locator("#matching-preview").get_by_text("3 learners will be added.").wait_for()
    page.get_by_role("button", name="Add 3 learners").click()
    page.get_by_text("3 learner(s) added to the cohort.").wait_for()
    page.get_by_label("Learner's e-mail").fill("dee@acme.example")
    page.get_by_role("button", name="Add learner", exact=True).click()
    page.get_by_text("dee@acme.example added to the cohort.").wait_for()
    learners = page.locator("#cohort-learners").inner_text()
    for email in ["ana@acme.example", "ben@acme.example", "cy@acme.example", "dee@acme.example"]:
        assert email in learners
    assert "Ben Okafor" in learners and "Dee Novak" in learners

    # The admin home counts them.
    nav.get_by_role("link", name="Home").click()
    # The programme-health table comes first; the data-quality table lists the cohort too.
    row = page.get_by_role("row", name=re.compile("Spring leaders")).first
    row.wait_for()
    assert row.locator("td").nth(0).inner_text().startswith("Leading Through Change")
    assert row.locator("td").nth(3).inner_text() == "4"  # learners
    assert row.locator("td").nth(6).inner_text() == "4"  # not started
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-journey-home.png"), full_page=True)

    with tenant_context(org_a):
        competency = Competency.objects.get(name="Giving feedback")
        assert BehaviouralIndicator.objects.filter(competency=competency).count() == 1
        module = Module.objects.get(title="Feedback that lands")
        assert module.status == Module.Status.PUBLISHED and module.minutes == 7
        assert list(module.competencies.all()) == [competency]
        assert PracticeTask.objects.filter(module=module).count() == 1
        item = RetrievalItem.objects.get(module=module)
        assert item.competency == competency
        assert RetrievalOption.objects.filter(item=item, is_correct=True).count() == 1
        version = PathwayVersion.objects.get(pathway__name="Leading Through Change")
        assert version.status == PathwayVersion.Status.PUBLISHED
        step = Step.objects.get(version=version)
        assert (step.module_id, step.stage.title) == (module.pk, "Lead others")
        cohort = Cohort.objects.get(name="Spring leaders")
        assert cohort.version_id == version.pk
        enrolled = Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACTIVE)
        assert enrolled.count() == 4
        assert AuditEntry.objects.count() >= 8
    with tenant_context(org_b):
        assert Enrollment.objects.count() == 0
