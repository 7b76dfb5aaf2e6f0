"""In a real browser, an administrator refines a running programme: a stretch rule on a step,
its preview counts for the running cohort, a second version published with the cohort's
learners moved onto it (their progress kept), and the change read back in the audit log."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.builder import services
from pathways.models import (
    Cohort,
    Enrollment,
    PathwayVersion,
    PersonalisationRule,
    SelfAssessment,
    StepCompletion,
)
from pathways.queries import learner_enrollments
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import htmx_ready, sign_in
from tests.pathways.builder.helpers import make_competencies, make_draft

pytestmark = pytest.mark.django_db(transaction=True)

PATHWAY = "Leading Through Change"
STRETCH_STEP = f"{PATHWAY} module 3"
# Learners of the running cohort: their baseline on the rule's competency (None: no
# self-assessment yet) and whether they have completed the first step.
LEARNERS = {
    "ana@acme.example": (5, True),
    "ben@acme.example": (4, False),
    "cy@acme.example": (2, True),
    "dee@acme.example": (1, False),
    "eve@acme.example": (None, False),
}


def _running_programme(org):
    """Version 1 of the pathway, published, with a running cohort of five learners."""
    draft = make_draft(org, PATHWAY)
    [delegation] = make_competencies(org, 1)
    learners = {email: make_member(org, email, is_learner=True) for email in LEARNERS}
    with tenant_context(org):
        services.do_publish(None, draft.version)
        cohort = Cohort.objects.create(
            name="Spring leaders",
            version=draft.version,
            start_date=timezone.localdate() - dt.timedelta(days=10),
            status=Cohort.Status.RUNNING,
        )
        for email, (rating, done_first) in LEARNERS.items():
            enrollment = Enrollment.objects.create(
                cohort=cohort, learner=learners[email], version=draft.version
            )
            if rating is not None:
                SelfAssessment.objects.create(
                    enrollment=enrollment, competency=delegation, rating=rating
                )
            if done_first:
                StepCompletion.objects.create(
                    enrollment=enrollment, learner=learners[email], step_key=draft.steps[0].key
                )
    return draft, cohort, learners


def test_an_admin_adds_a_stretch_rule_and_moves_the_cohort_to_the_new_version(page, org_a, org_b):
    make_member(org_a, "boss@acme.example", is_admin=True)
    v1, cohort, learners = _running_programme(org_a)
    _running_programme(org_b)  # the same programme in another organisation stays as it is
    nav = page.get_by_role("navigation", name="Main")

    sign_in(page, "boss@acme.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/")
    nav.get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name=PATHWAY).click()
    page.get_by_role("button", name="Edit as new version").click()
    page.get_by_text("Draft version 2 started from version 1.").wait_for()

    # A stretch rule on the third module: only learners already at level 4 or above get it.
    page.get_by_role("link", name=STRETCH_STEP).click()
    page.get_by_role("heading", name=f"3. {STRETCH_STEP}").wait_for()
    rules = page.get_by_role("region", name="Personalisation rules")
    rules.get_by_role("combobox", name=re.compile("^Rule")).select_option(
        label="Include only if baseline is at least"
    )
    rules.get_by_label(re.compile("^Level")).fill("4")
    rules.get_by_label(re.compile("^on the competency")).select_option(
        label="Competency 1 (Leadership)"
    )
    rules.get_by_role("button", name="Add rule").click()
    page.get_by_text("Personalisation rule added.").wait_for()
    rules.get_by_text("Include only if baseline is at least 4 — Competency 1").wait_for()

    # Its preview for the running cohort: 4 and 5 are in, 1 and 2 are out, no baseline keeps it.
    page.get_by_role("link", name="Preview how many learners each rule includes").click()
    page.get_by_role("heading", name="Who each rule includes").wait_for()
    htmx_ready(page)
    page.get_by_label("Cohort").select_option(label="Spring leaders (5 active learners)")
    page.get_by_role("button", name="Show counts").click()
    preview = page.locator("#preview")
    preview.get_by_text(
        "Spring leaders: 5 active learners, 4 with a self-assessment baseline."
    ).wait_for()
    row = preview.get_by_role("row", name=re.compile("Include only if baseline is at least 4"))
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1:] == ["3 / 5", "2", "1"]  # included, skipped, no baseline yet (included)
    together = preview.get_by_role("row", name=re.compile("All rules together"))
    assert [c.strip() for c in together.locator("td").all_inner_texts()][1:3] == ["3 / 5", "2"]

    # Publish version 2 and move the cohort's active learners onto it.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").click()
    page.get_by_role("link", name="Review and publish").click()
    page.get_by_text("Checks passed").wait_for()
    page.get_by_role("radio", name=re.compile("Move active learners to this version")).check()
    assert "What changes from version 1 to version 2" in page.content()
    confirmations: list[str] = []
    page.once("dialog", lambda dialog: (confirmations.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Version 2 published. 5 learners moved to it").wait_for()
    assert confirmations == ["Publish version 2? If you chose to move them, 5 learners move to it."]

    with tenant_context(org_a):
        v2 = PathwayVersion.objects.get(pathway__name=PATHWAY, number=2)
        assert v2.status == PathwayVersion.Status.PUBLISHED
        assert PathwayVersion.objects.get(pk=v1.version.pk).status == "retired"
        assert set(
            Enrollment.objects.filter(cohort=cohort).values_list("version_id", "status")
        ) == {(v2.pk, "active")}
        assert Cohort.objects.get(pk=cohort.pk).version_id == v2.pk
        rule = PersonalisationRule.objects.get(step__version=v2)
        assert (rule.action, rule.threshold) == ("include_at_least", 4)
        for email, (rating, done_first) in LEARNERS.items():
            [view] = learner_enrollments(learners[email])
            assert view.version_id == v2.pk
            states = [s.state for s in view.steps]
            assert (states[0] == "done") == done_first, email  # progress followed the step key
            below_stretch = rating is not None and rating < 4
            assert (states[2] == "skipped") == below_stretch, (email, states)
    with tenant_context(org_b):
        assert not PersonalisationRule.objects.exists()
        assert PathwayVersion.objects.get().number == 1

    # The audit log shows the publication: status before → after, and how many moved.
    nav.get_by_role("link", name="Audit log").click()
    page.get_by_role("heading", name="Audit log").wait_for()
    htmx_ready(page)
    page.get_by_label("Action").select_option("published")
    results = page.locator("#audit-results")
    results.get_by_text("2 entries", exact=True).wait_for()
    entry = results.get_by_role("row", name=re.compile(rf"{PATHWAY} v2"))
    assert entry.locator("del").first.inner_text() == "draft"
    assert entry.locator("ins").first.inner_text() == "published"
    changes = entry.locator("dl.kv").inner_text()
    assert re.search(r"learners moved\s+5", changes), changes
    assert "Boss" in entry.locator("td").nth(1).inner_text()
    page.wait_for_url(re.compile(r"[?&]action=published"))  # the filtered view is shareable
    with tenant_context(org_a):
        assert AuditEntry.objects.filter(action="published").count() == 2
