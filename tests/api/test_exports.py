"""CSV and XLSX downloads of the people, cohorts and cohort progress tables."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from measurement.services import do_rollup_progress
from organizations.models import User
from organizations.tenancy import tenant_context
from pathways import services
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_people_download_as_csv_and_xlsx_with_formulas_neutralised(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    evil = make_member(org_a, "evil@a.example", is_learner=True)
    User.objects.filter(pk=evil.user_id).update(full_name='=HYPERLINK("http://x.test","Hi")')
    with tenant_context(org_a):
        type(evil).objects.filter(pk=evil.pk).update(job_title="+44 20 7946 0000", function="@sum")
    make_member(org_b, "other@b.example", is_learner=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/people/"
    as_csv = client.get(url, {"format": "csv", "role": "learner"})
    assert as_csv["Content-Disposition"] == f'attachment; filename="{org_a.slug}-people.csv"'
    rows = _csv_rows(as_csv)
    assert rows[0][:2] == ["Name", "E-mail"]
    assert rows[1][0] == '\'=HYPERLINK("http://x.test","Hi")'
    assert rows[1][2] == "'+44 20 7946 0000" and rows[1][3] == "'@sum"
    assert len(rows) == 2  # the filter (learners) holds, and the other organisation is absent
    as_xlsx = _xlsx_rows(client.get(url, {"format": "xlsx"}))
    names = [r[0] for r in as_xlsx[1:]]
    assert '\'=HYPERLINK("http://x.test","Hi")' in names and len(names) == 2
    assert not any(str(c).startswith(("=", "+", "@")) for r in as_xlsx for c in r if c)


def test_people_export_reads_in_constant_queries(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)

    def measure() -> int:
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/people/", {"format": "csv"}).status_code == 200
        return len(ctx.app_queries)

    few = measure()
    for i in range(6):
        make_member(org_a, f"p{i}@a.example", is_learner=True)
    assert measure() == few


def test_cohorts_and_progress_download(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    fixture = make_pathway(org_a)
    learner = make_member(org_a, "-dash@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, learner)
    with tenant_context(org_a):
        services.do_complete_step(learner, enrollment.pk, fixture.steps[0].pk)
        # The cohort page reads the progress roll-up, which the outbox runs after commit;
        # this test's transaction never commits, so it runs here.
        do_rollup_progress(org_a)
    client.force_login(admin.user)
    cohorts = _xlsx_rows(client.get(f"/o/{org_a.slug}/cohorts/", {"format": "xlsx"}))
    assert cohorts[0][0] == "Cohort" and cohorts[1][0] == fixture.cohort.name
    progress = _csv_rows(
        client.get(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/", {"format": "csv"})
    )
    header, row = progress
    assert row[header.index("Steps done")] == "1" and row[header.index("Steps total")] == "4"
    assert row[header.index("Learner")] == "'-Dash"  # a name starting with "-" stays text
    page = client.get(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/").content.decode()
    assert "format=xlsx" in page


def test_exports_are_for_admins_of_the_organisation(client, org_a, org_b):
    fixture = make_pathway(org_a)
    learner = make_member(org_a, "l@a.example", is_learner=True)
    outsider = make_member(org_b, "admin@b.example", is_admin=True)
    for member in (learner, outsider):
        client.force_login(member.user)
        for url in (
            f"/o/{org_a.slug}/people/?format=csv",
            f"/o/{org_a.slug}/cohorts/?format=xlsx",
            f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/?format=csv",
        ):
            assert client.get(url).status_code == 404, url
