"""The admin's impact set-up: metrics, values, imports (all-or-nothing, idempotent, progress),
the measurement plan and costs. Other organisations and other roles get 404."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from measurement import impact, importer
from measurement.models import CostLine, MeasurementPlan, Metric, MetricImport, MetricValue
from organizations.models import Team
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member, make_pathway


@pytest.fixture
def setup_a(org_a):
    with tenant_context(org_a):
        teams = [Team.objects.create(name=f"Team {i}") for i in range(3)]
        metric = impact.do_define_metric(
            name="Engagement",
            unit="points",
            direction="up",
            level="team",
            min_value=Decimal(0),
            max_value=Decimal(100),
        )
    return teams, metric


def _csv(lines: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("values.csv", ("\n".join(lines) + "\n").encode(), "text/csv")


def test_it_imports_a_csv_and_a_second_import_changes_nothing(
    org_a, org_b, admin_a, setup_a, login
):
    client = login(admin_a)
    lines = ["metric,team,period,value"] + [
        f"Engagement,Team {i},2026-0{m},{60 + i + m}" for i in range(3) for m in range(1, 4)
    ]
    url = reverse("metric_import", args=[org_a.slug])
    response = client.post(url, {"file": _csv(lines)}, follow=True)
    assert "9 new values, 0 values replaced" in response.content.decode()
    response = client.post(url, {"file": _csv(lines)}, follow=True)
    assert "0 new values, 9 values replaced" in response.content.decode()
    with tenant_context(org_a):
        assert MetricValue.objects.count() == 9
        assert MetricValue.objects.get(team__name="Team 2", period=dt.date(2026, 3, 1)).value == 65
    with tenant_context(org_b):
        assert not MetricValue.objects.exists()


def test_a_file_with_one_bad_row_imports_nothing_and_says_why(
    org_a, org_b, admin_a, setup_a, login
):
    client = login(admin_a)
    lines = [
        "Metric,Team,Period,Value",
        "Engagement,Team 0,2026-01,61",
        "Engagement,Team 1,2026-01,140",
        "Engagement,Team 9,2026-01,50",
        "Engagement,Team 0,2026-01-15,62",
        "Engagement,Team 2,March,50",
        "Engagement,Team 2,2026-02,12%",
    ]
    response = client.post(
        reverse("metric_import", args=[org_a.slug]), {"file": _csv(lines)}, follow=True
    )
    html = response.content.decode()
    assert "nothing was imported" in html
    assert "outside the range of Engagement" in html  # row 3
    assert "No team named “Team 9”" in html  # row 4
    assert "is already on row 2" in html  # the same month twice
    assert "is not a month" in html
    assert "measured in points, not %" in html
    with tenant_context(org_a):
        assert not MetricValue.objects.exists()
        job = MetricImport.objects.get()
        assert job.status == "refused"
        assert {p["row"] for p in job.problems} == {3, 4, 5, 6, 7}


def test_it_imports_xlsx_and_checks_large_files_in_batches(
    org_a, org_b, admin_a, setup_a, django_capture_on_commit_callbacks
):
    book = Workbook()
    sheet = book.active
    sheet.append(["metric", "team", "period", "value"])
    months = [dt.date(2020 + y, m, 1) for y in range(6) for m in range(1, 13)]
    for month in months:  # 72 months × 3 teams = 216 rows, then padded over INLINE_ROWS
        for i in range(3):
            sheet.append(["Engagement", f"Team {i}", month, 50 + i])
    for y in range(2030, 2056):
        for m in range(1, 13):
            sheet.append(["Engagement", "Team 0", f"{y}-{m:02d}", 55])
    buffer = io.BytesIO()
    book.save(buffer)
    admin = admin_a
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with tenant_context(org_a):
            job = importer.do_start_import("values.xlsx", buffer.getvalue(), admin)
            assert job.total_rows > importer.INLINE_ROWS
            assert job.status == "queued"
    assert len(callbacks) >= 2  # one link per batch, then the write
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == "done", job.problems
        assert job.processed_rows == job.total_rows
        assert MetricValue.objects.count() == job.total_rows


def test_it_refuses_a_file_it_cannot_read(org_a, org_b, admin_a, setup_a):
    with tenant_context(org_a):
        job = importer.do_start_import("values.txt", b"hello", admin_a)
        assert job.status == "refused" and "csv or .xlsx" in job.problems[0]["message"]
        job = importer.do_start_import("values.csv", b"team,value\nA,1\n", admin_a)
        assert "missing: metric, period" in job.problems[0]["message"]


def test_it_enters_a_value_with_errors_next_to_the_field(org_a, org_b, admin_a, setup_a, login):
    teams, metric = setup_a
    client = login(admin_a)
    url = reverse("metric_values", args=[org_a.slug, metric.pk])
    bad = client.post(url, {"team": teams[0].pk, "period": "2026-04", "value": "101"})
    assert bad.status_code == 200
    assert "outside the range" in bad.content.decode()
    good = client.post(url, {"team": teams[0].pk, "period": "2026-04", "value": "71.5"})
    assert good.status_code == 302
    with tenant_context(org_a):
        assert MetricValue.objects.get().value == Decimal("71.5")
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    first = len(ctx.app_queries)
    with tenant_context(org_a):
        impact.upsert_metric_values(
            [
                impact.ValueRow(metric.pk, teams[1].pk, dt.date(2025, m, 1), Decimal(50))
                for m in range(1, 13)
            ],
            "form",
            None,
        )
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.app_queries) == first


def test_it_saves_a_plan_and_costs_from_the_forms(org_a, org_b, admin_a, setup_a, login):
    teams, metric = setup_a
    fixture = make_pathway(org_a, n_steps=1)
    client = login(admin_a)
    url = reverse("plan_edit", args=[org_a.slug, fixture.cohort.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "evaluation_start": "2026-07-01",
            "evaluation_end": "2026-12-31",
            "comparison": "teams",
            "comparison_teams": [teams[2].pk],
            "profit_margin_pct": "12",
            "currency": "eur",
            "intangibles": "Engagement",
            f"metric_{metric.pk}": "on",
            f"metric_{metric.pk}_population": "50",
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        plan = MeasurementPlan.objects.get()
        assert plan.currency == "EUR" and plan.comparison_label == "Team 2"
    costs = reverse("cohort_costs", args=[org_a.slug, fixture.cohort.pk])
    bad = client.post(costs, {"category": "travel", "amount": "-10", "shared_by": "1"})
    assert "A cost cannot be negative." in bad.content.decode()
    client.post(
        costs,
        {
            "category": "participants_time",
            "people": "10",
            "hours": "5",
            "hourly_rate": "80",
            "shared_by": "1",
        },
    )
    with tenant_context(org_a):
        line = CostLine.objects.get()
        assert line.amount == Decimal("4000.00")
    client.post(reverse("cost_delete", args=[org_a.slug, fixture.cohort.pk, line.pk]))
    with tenant_context(org_a):
        assert not CostLine.objects.exists()
    assert client.get(reverse("impact_setup", args=[org_a.slug])).status_code == 200


def test_a_plan_whose_comparison_is_only_participants_is_refused(
    org_a, org_b, admin_a, setup_a, login
):
    teams, metric = setup_a
    fixture = make_pathway(org_a, n_steps=1)
    learner = make_member(org_a, "l@a.example", team=teams[0], is_learner=True)
    from tests.conftest import enroll

    enroll(org_a, fixture, learner)
    response = login(admin_a).post(
        reverse("plan_edit", args=[org_a.slug, fixture.cohort.pk]),
        {
            "evaluation_start": "2026-07-01",
            "evaluation_end": "2026-12-31",
            "comparison": "teams",
            "comparison_teams": [teams[0].pk],
            "profit_margin_pct": "12",
            "currency": "EUR",
        },
    )
    assert response.status_code == 200
    assert "no team outside the programme" in response.content.decode()
    with tenant_context(org_a):
        assert not MeasurementPlan.objects.exists()


def test_other_organisations_and_roles_get_404(org_a, org_b, admin_a, setup_a, login):
    teams, metric = setup_a
    fixture = make_pathway(org_a, n_steps=1)
    with tenant_context(org_a):
        line = impact.do_add_cost(fixture.cohort, impact.CostInput("travel", amount=Decimal(5)))
        job = importer.do_start_import("v.csv", b"metric,team,period,value\n", admin_a)
    urls = [
        reverse("metric_values", args=[org_a.slug, metric.pk]),
        reverse("plan_edit", args=[org_a.slug, fixture.cohort.pk]),
        reverse("cohort_costs", args=[org_a.slug, fixture.cohort.pk]),
        reverse("metric_import_detail", args=[org_a.slug, job.pk]),
        reverse("impact_setup", args=[org_a.slug]),
        reverse("metric_create", args=[org_a.slug]),
        reverse("metric_import", args=[org_a.slug]),
    ]
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    for url in urls:
        assert outsider.get(url).status_code == 404
        assert outsider.get(url.replace(org_a.slug, org_b.slug)).status_code in (404, 200)
    for url in urls[:4]:
        assert outsider.get(url.replace(org_a.slug, org_b.slug)).status_code == 404
    assert (
        outsider.post(
            reverse("cost_delete", args=[org_b.slug, fixture.cohort.pk, line.pk])
        ).status_code
        == 404
    )
    learner = login(make_member(org_a, "learner@a.example", is_learner=True))
    for url in urls:
        assert learner.get(url).status_code == 404
    with tenant_context(org_a):
        assert CostLine.objects.exists() and Metric.objects.exists()
