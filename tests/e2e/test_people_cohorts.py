"""In a real browser: an admin imports people from CSV, starts a cohort from a published
pathway, adds a team by filter, withdraws a learner; an invited person accepts their link."""

from __future__ import annotations

import re

import pytest

from organizations.models import Membership
from organizations.people.invitations import make_token
from organizations.tenancy import tenant_context
from pathways.models import Enrollment
from tests.conftest import PASSWORD, make_member, make_pathway
from tests.e2e.conftest import htmx_ready, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CSV = (
    "email,name,title,function,team,manager_email,roles\n"
    "ana@acme.example,Ana Silva,Head of Sales,Commercial,Sales,,learner;sponsor\n"
    "ben@acme.example,Ben Okafor,Account Manager,Commercial,Sales,ana@acme.example,learner\n"
    "cy@acme.example,Cy Tanaka,Account Manager,Commercial,Sales,ana@acme.example,learner\n"
    "dee@acme.example,Dee Novak,Engineer,Technology,Engineering,,learner\n"
)


def test_it_imports_people_and_starts_a_cohort_with_them(page, org_a, org_b, tmp_path):  # noqa: F811
    make_member(org_a, "boss@acme.example", is_admin=True)
    make_pathway(org_a, name="Leading Through Change")
    make_member(org_b, "ana@globex.example", is_learner=True)
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace("learner;sponsor", "learner;wizard"))
    good = tmp_path / "people.csv"
    good.write_text(CSV)
    sign_in(page, "boss@acme.example", PASSWORD)

    page.goto(f"/o/{org_a.slug}/people/import/")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("1 problem — nothing was imported").wait_for()
    assert "Unknown role “wizard”" in page.locator("main").inner_text()

    page.goto(f"/o/{org_a.slug}/people/import/")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("What this import will change").wait_for()
    page.screenshot(path="test-artifacts/people-import-preview.png", full_page=True)
    page.get_by_role("button", name="Apply 6 changes").click()
    page.get_by_text("Import applied: 6 change(s).").wait_for()

    page.goto(f"/o/{org_a.slug}/people/")
    page.get_by_label("Search name or e-mail").fill("okafor")
    page.wait_for_url(re.compile(r"q=okafor"))
    results = page.locator("#people-results")
    results.get_by_text("1 person").wait_for()
    assert "Ana Silva" in results.inner_text()  # as Ben's manager
    assert "Cy Tanaka" not in results.inner_text()

    page.goto(f"/o/{org_a.slug}/cohorts/")
    page.get_by_role("link", name="Start a cohort").first.click()
    page.get_by_label("Name").fill("Sales leaders, spring")
    page.get_by_label("Pathway").select_option(label="Leading Through Change v1")
    page.get_by_label("Start date").fill("2026-03-02")
    page.get_by_role("button", name="Create cohort").click()
    page.get_by_text("Cohort “Sales leaders, spring” created").wait_for()
    # The cohort page links to the filters; their page previews the count as they change, on a
    # phone too (nothing wider than the screen).
    desktop = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Add learners by filter").click()
    page.get_by_role("heading", name="Add learners by filter").wait_for()
    htmx_ready(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_label("Job title contains").fill("no such title")
    page.locator("#matching-preview").get_by_text("0 learners will be added.").wait_for()
    assert page.get_by_role("button", name=re.compile(r"^Add \d+ learner")).count() == 0
    page.get_by_label("Job title contains").fill("")
    page.get_by_label("Team").select_option(label="Sales")
    page.locator("#matching-preview").get_by_text("3 learners will be added.").wait_for()
    page.get_by_role("button", name="Add 3 learners").click()
    if desktop:
        page.set_viewport_size(desktop)
    page.get_by_text("3 learner(s) added to the cohort.").wait_for()
    learners = page.locator("#cohort-learners").inner_text()
    assert "Ana Silva" in learners and "Dee Novak" not in learners

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw Cy Tanaka").click()
    page.get_by_text("cy@acme.example was withdrawn.").wait_for()
    page.get_by_role("link", name="Withdrawn (1)").click()
    page.wait_for_url(re.compile(r"show=withdrawn"))
    assert "Cy Tanaka" in page.locator("#cohort-learners").inner_text()
    # A sponsor found by typing part of her name: the field's list offers who holds the role.
    htmx_ready(page)
    sponsor = page.get_by_role("combobox", name="Sponsor")
    sponsor.fill("silva")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#sponsor-people option')]"
        ".map(o => o.value + ' ' + o.textContent).join() === 'ana@acme.example Ana Silva'"
    )
    assert page.locator("#coach-people option").count() == 0  # no coach in this organisation
    sponsor.fill("ana@acme.example")
    page.locator("form[action$='/staff/sponsor/add/']").get_by_role("button").click()
    page.get_by_text("ana@acme.example assigned to the cohort.").wait_for()
    sponsors = page.get_by_role("heading", name="Sponsors").locator("xpath=..")
    assert "Ana Silva" in sponsors.inner_text()
    page.screenshot(path="test-artifacts/cohort-detail.png", full_page=True)

    page.goto(f"/o/{org_a.slug}/")
    # The programme-health table comes first; the data-quality table lists the cohort too.
    row = page.get_by_role("row", name=re.compile("Sales leaders, spring")).first
    assert "2" in row.inner_text()
    with tenant_context(org_a):
        assert Enrollment.objects.filter(status="active").count() == 2


def test_an_invited_person_sets_a_password_and_lands_in_the_organisation(page, org_a, org_b):  # noqa: F811
    from organizations.people import services

    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    data = services.PersonData(
        "nia@acme.example", "Nia Reyes", "Team Lead", "Operations", None, None, {"learner"}
    )
    with tenant_context(org_a):
        invitation = services.do_invite_person(admin.user, data)
    page.goto(f"/invitations/{make_token(invitation)}/")
    page.get_by_text("Welcome to Acme").wait_for()
    page.locator("#id_new_password1").fill("a-long-and-unusual-passphrase-42")
    page.locator("#id_new_password2").fill("a-long-and-unusual-passphrase-42")
    page.get_by_role("button", name="Set password and sign in").click()
    page.get_by_text("Welcome to Acme. Your password is set.").wait_for()
    assert page.url.endswith(f"/o/{org_a.slug}/")
    with tenant_context(org_a):
        assert Membership.objects.get(user__email="nia@acme.example").user.has_usable_password()


def test_the_import_progress_bar_moves_and_the_page_shows_the_result(page, org_a, org_b):  # noqa: F811
    from organizations.models import ImportJob

    make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job = ImportJob.objects.create(
            filename="hris.csv",
            content="",
            content_sha256="",
            status=ImportJob.Status.RUNNING,
            total_rows=5000,
            processed_rows=500,
        )
    sign_in(page, "boss@acme.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/people/import/{job.pk}/")
    page.get_by_text("500 of 5,000 rows checked").wait_for()
    assert "You can leave this page" in page.locator("#import-progress").inner_text()
    with tenant_context(org_a):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=2500)
    page.get_by_text("2,500 of 5,000 rows checked").wait_for()  # polled every second
    with tenant_context(org_a):
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=5000,
            status=ImportJob.Status.DONE,
            summary={
                "rows": 5000,
                "new": 5000,
                "updated": 0,
                "unchanged": 0,
                "changes": 5001,
                "teams_to_create": ["Ops"],
                "new_people": [],
                "updated_people": [],
                "warnings": [],
            },
        )
    page.get_by_text("What changed").wait_for()  # the finished job reloads the whole page
    assert page.locator("#import-progress").count() == 0
