"""In a real browser, a work-based project end to end: the learner sets up the charter from the
pathway step, the sponsor sends it back and then approves it, a milestone is done late, two
stakeholders rate through their e-mailed links (no account), the learner closes with a benefit
claim, the sponsor confirms it and signs off, and the pathway step is done."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from projects.models import BenefitClaim, Milestone, Project, StakeholderRating
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.projects.helpers import make_world

pytestmark = pytest.mark.django_db(transaction=True)


def _decide(page, group: str, option: str) -> None:
    page.get_by_role("group", name=group).get_by_label(option, exact=True).check()


def _sign_out(page) -> None:
    page.context.clear_cookies()


def test_a_project_from_charter_to_sign_off_completes_the_pathway_step(
    page, browser, live_server, org_a, org_b
):
    world = make_world(org_a)
    make_world(org_b)  # another organisation's project world, never seen here
    learner_email, sponsor_email = world.learner.user.email, world.sponsor.user.email
    step_url = f"/o/{org_a.slug}/learn/enrollments/{world.enrollment.pk}/steps/{world.step.pk}/"

    # The learner opens the project step: it leads to the charter, not to "Mark done".
    sign_in(page, learner_email, PASSWORD)
    page.goto(step_url)
    assert page.get_by_role("button", name="Mark done").count() == 0
    page.get_by_role("link", name="Open your project").click()
    page.get_by_role("heading", name="Start your project", level=1).wait_for()
    assert page.locator("#id_milestones-0-title").input_value() == "Map the handover"
    page.get_by_label("Project title").fill("Halve order errors at the shift handover")
    page.get_by_label("The problem and why it matters").fill(
        "About 40 orders a week are re-keyed because handover notes miss late changes."
    )
    page.get_by_label("Sponsor's e-mail").fill(sponsor_email)
    page.get_by_label("Functions involved").fill("Operations, Customer service")
    page.get_by_label("Stakeholders").fill(
        "Priya Raman <priya@partner.example>\nTom Becker <tom@partner.example>"
    )
    page.get_by_role("button", name="Save the charter").click()
    page.get_by_text("Charter saved. Submit it to your sponsor when it is ready.").wait_for()
    page.get_by_role("button", name="Submit to my sponsor").click()
    page.get_by_text("Charter submitted.").wait_for()
    _sign_out(page)

    # The sponsor sends it back with a comment.
    sign_in(page, sponsor_email, PASSWORD)
    page.get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="Halve order errors at the shift handover").click()
    _decide(page, "Your decision", "Send it back")
    page.get_by_label("Comment for the learner").fill("Add a weekly measure of re-keyed orders.")
    page.get_by_role("button", name="Record my decision").click()
    page.get_by_text("Charter sent back with your comment.").wait_for()
    _sign_out(page)

    # The learner sees why, fixes the charter and resubmits.
    sign_in(page, learner_email, PASSWORD)
    page.get_by_role("link", name=re.compile("Fix your project charter")).first.click()
    page.locator(".message--warning").get_by_text("Add a weekly measure").wait_for()
    page.get_by_role("link", name="Edit the charter").click()
    page.get_by_label("Expected outcomes").fill(
        "Re-keyed orders down from 40 to 20 a week, counted every Friday\n"
        "Both shifts run the handover huddle"
    )
    page.get_by_role("button", name="Save the charter").click()
    page.get_by_role("button", name="Submit to my sponsor").click()
    page.get_by_text("Charter submitted.").wait_for()
    _sign_out(page)

    # The sponsor approves.
    sign_in(page, sponsor_email, PASSWORD)
    page.goto(f"/o/{org_a.slug}/projects/")
    page.get_by_role("link", name="Halve order errors at the shift handover").click()
    _decide(page, "Your decision", "Approve the charter")
    page.get_by_role("button", name="Record my decision").click()
    page.get_by_text("Charter approved: the project is running.").wait_for()
    _sign_out(page)

    # Three weeks pass: the first milestone's approved date is behind us.
    with tenant_context(org_a):
        project = Project.objects.get()
        first = Milestone.objects.filter(project=project).order_by("due_on").first()
        past = timezone.localdate() - dt.timedelta(days=3)
        Milestone.objects.filter(pk=first.pk).update(due_on=past, approved_on=past)

    # The learner marks it done (late) and asks the stakeholders to rate at this milestone.
    sign_in(page, learner_email, PASSWORD)
    page.get_by_role("link", name="Milestone: Map the handover").click()
    milestone = page.locator(f"#milestone-{first.pk}")
    milestone.get_by_text("Mark done with evidence").click()
    milestone.get_by_label("Evidence").fill("Handover mapped with both shift leads; 3 gaps found.")
    milestone.get_by_role("button", name="Mark done").click()
    page.get_by_text("Milestone “Map the handover” marked done.").wait_for()
    page.locator(f"#milestone-{first.pk}").get_by_text("Done late").wait_for()
    mail.outbox.clear()
    page.locator(f"#milestone-{first.pk}").get_by_text(
        "Ask your 2 stakeholders to rate the project at this milestone"
    ).wait_for()
    page.get_by_role("button", name="Ask for ratings at “Map the handover”").click()
    page.get_by_text("Stakeholders were asked for their rating by e-mail.").wait_for()
    _sign_out(page)

    # Two stakeholders rate through their links, without an account.
    links = [re.search(r"(/r/project/\S+/)", m.body).group(1) for m in mail.outbox]
    assert len(links) == 2
    for link, score in zip(links, ("4", "5"), strict=True):
        page.goto(link)
        page.get_by_role("heading", name=re.compile("How did .* go for you")).wait_for()
        for group in ("Quality of the outcome", "Collaboration with you", "Communication"):
            _decide(page, group, score)
        page.get_by_label("Comment (optional)").fill("Clear weekly updates.")
        page.get_by_role("button", name="Send my rating").click()
        page.get_by_text("Thank you: your rating is recorded").wait_for()
    page.goto(links[0])
    page.get_by_text("This rating link was already used").wait_for()

    # The learner sees how many answered, never who; then writes the closing report.
    sign_in(page, learner_email, PASSWORD)
    page.goto(f"/o/{org_a.slug}/projects/{project.pk}/")
    page.get_by_text("(2 so far)").wait_for()
    assert page.get_by_text("Clear weekly updates.").count() == 0
    page.get_by_role("link", name="Write the closing report").click()
    page.get_by_label("Re-keyed orders down from 40 to 20 a week, counted every Friday").fill(
        "Down to 18 a week over the last four Fridays."
    )
    page.get_by_label("Both shifts run the handover huddle").fill("Both shift leads run it daily.")
    page.get_by_label("Measure").fill("Orders re-keyed after the handover")
    page.get_by_label("Annual change in value").fill("26400")
    page.get_by_label("How you computed it").fill("22 fewer re-keyed orders x 50 weeks x 24")
    page.get_by_label("Share due to the project (%)").fill("60")
    page.get_by_label("Your confidence (%)").fill("80")
    page.get_by_role("button", name="Send for sign-off").click()
    page.get_by_text("Closing report sent to your sponsor for sign-off.").wait_for()
    _sign_out(page)

    # The sponsor confirms the claim and signs off.
    sign_in(page, sponsor_email, PASSWORD)
    page.goto(f"/o/{org_a.slug}/projects/{project.pk}/")
    _decide(page, "Decision on “Orders re-keyed after the handover”", "Confirm")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Claim “Orders re-keyed after the handover”: Confirmed.").wait_for()
    _decide(page, "Your decision", "Sign the project off")
    _decide(page, "Rating of the result (1 poor – 5 excellent)", "4")
    page.get_by_label("Assessment or what more you need").fill("A lasting fix, well led.")
    page.get_by_role("button", name="Record my decision").click()
    page.get_by_text("Project signed off. The learners' pathway step is done.").wait_for()
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _sign_out(page)

    sign_in(page, learner_email, PASSWORD)
    page.goto(step_url)
    page.locator("main .badge--done").get_by_text("Done").wait_for()
    with tenant_context(org_a):
        assert Project.objects.get().status == Project.Status.SIGNED_OFF
        assert BenefitClaim.objects.get().status == BenefitClaim.Status.CONFIRMED
        assert StakeholderRating.objects.count() == 2
        assert StepCompletion.objects.filter(learner=world.learner).count() == 1


def test_project_pages_fit_a_phone_without_sideways_scroll(page, live_server, org_a, org_b):
    from projects import rating_links, services
    from projects.models import RatingRequest
    from tests.projects.helpers import running, start

    world = make_world(org_a)
    other = make_world(org_a, prefix="d-")
    project = running(world)
    draft = start(other)
    with tenant_context(org_a):
        services.do_request_milestone_ratings(world.learner, project.milestones.first())
        token = rating_links.make_token(RatingRequest.objects.first())
    page.set_viewport_size({"width": 390, "height": 844})

    def fits(url: str) -> None:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 392 && e.children.length === 0)"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 60))"
        )
        assert width <= 390, f"{url} is {width}px wide: {wide}"

    fits(f"/r/project/{token}/")
    sign_in(page, world.learner.user.email, PASSWORD)
    for url in (
        f"/o/{org_a.slug}/projects/",
        f"/o/{org_a.slug}/projects/{project.pk}/",
        f"/o/{org_a.slug}/projects/{project.pk}/close/",
    ):
        fits(url)
    page.context.clear_cookies()
    sign_in(page, other.learner.user.email, PASSWORD)
    fits(f"/o/{org_a.slug}/projects/{draft.pk}/charter/")
    page.context.clear_cookies()
    sign_in(page, world.admin.user.email, PASSWORD)
    fits(f"/o/{org_a.slug}/cohorts/{world.cohort.pk}/projects/")
