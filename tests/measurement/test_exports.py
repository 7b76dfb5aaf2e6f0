"""Downloads of the impact set-up, metric values, cost lines, the sponsor's impact tables and
the admin home's data quality: the page's rows, formulas neutralised, the page's readers only,
and a constant number of queries. Cost lines changed on the costs page are audited with their
author."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from measurement import impact, sources, stats
from measurement.services import do_rollup_progress
from organizations.models import AuditEntry
from organizations.people import services as people_services
from organizations.tenancy import tenant_context
from pathways.models import CohortSponsor
from tests.conftest import enroll, make_member, make_pathway
from tests.downloads import assert_constant_queries, column, download
from tests.measurement.impact_fixtures import build_example
from tests.measurement.test_behaviour_rollup import BASE, FOLLOW

EVIL = '=HYPERLINK("http://x.test","hi")'


@pytest.fixture
def metric_a(org_a, admin_a):
    with tenant_context(org_a):
        teams = [
            people_services.do_save_team(admin_a.user, None, name=name, parent=None, manager=None)
            for name in (EVIL, "Sales")
        ]
        metric = impact.do_define_metric(
            name="+Engagement", unit="points", direction="up", level="team"
        )
        impact.do_enter_metric_value(metric, teams[0], dt.date(2026, 1, 1), "61", admin_a)
        impact.do_enter_metric_value(metric, teams[1], dt.date(2026, 2, 1), "64.5", admin_a)
    return metric, teams


def test_metric_values_download_every_value(org_a, org_b, admin_a, metric_a, login):
    metric, teams = metric_a
    client = login(admin_a)
    url = reverse("metric_values", args=[org_a.slug, metric.pk])
    assert "format=xlsx" in client.get(url).content.decode()
    as_csv, as_xlsx = download(client, url)
    assert as_csv[0] == ["Month", "Team", "Value (points)", "Source"]
    assert as_csv[1] == ["2026-02-01", "Sales", "64.5000", "Entered in the browser"]
    assert as_csv[2][1] == "'" + EVIL
    assert as_xlsx[2][1] == "'" + EVIL and as_xlsx[1][2] == 64.5

    def more_values() -> None:
        with tenant_context(org_a):
            impact.upsert_metric_values(
                [
                    impact.ValueRow(metric.pk, teams[1].pk, dt.date(2025, m, 1), Decimal(50))
                    for m in range(1, 13)
                ],
                "import",
                None,
            )

    # More values than one page of the page (50): the download has them all.
    assert_constant_queries(client, url, more_values)
    assert len(download(client, url)[0]) == 15


def test_cost_lines_download(org_a, org_b, admin_a, login):
    fixture = make_pathway(org_a, n_steps=1)
    with tenant_context(org_a):
        impact.do_add_cost(
            fixture.cohort, impact.CostInput("design", "=SUM(A1:A9)", Decimal(900), shared_by=3)
        )
    client = login(admin_a)
    url = reverse("cohort_costs", args=[org_a.slug, fixture.cohort.pk])
    assert "format=csv" in client.get(url).content.decode()
    as_csv, as_xlsx = download(client, url)
    assert as_csv[1] == [
        "Design and development",
        "'=SUM(A1:A9)",
        "",
        "",
        "",
        "900.00",
        "3",
        "300.00",
    ]
    assert as_xlsx[1][-1] == 300

    def more_lines() -> None:
        with tenant_context(org_a):
            for i in range(5):
                impact.do_add_cost(
                    fixture.cohort,
                    impact.CostInput(
                        "participants_time",
                        f"group {i}",
                        people=4,
                        hours=Decimal(10),
                        hourly_rate=Decimal(50),
                    ),
                )

    assert_constant_queries(client, url, more_lines)
    assert column(download(client, url)[0], "This cohort")[-1] == "2000.00"


def test_cost_lines_added_and_removed_on_the_page_are_audited_with_their_author(
    org_a, org_b, admin_a, login
):
    fixture = make_pathway(org_a, n_steps=1)
    client = login(admin_a)
    url = reverse("cohort_costs", args=[org_a.slug, fixture.cohort.pk])
    response = client.post(
        url, {"category": "travel", "description": "flights", "amount": "1200", "shared_by": "1"}
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        line = impact.CostLine.objects.get()
        added = AuditEntry.objects.get(action="created", object_type="Cost Line")
        assert added.actor_id == admin_a.user_id
        assert added.after["amount"] == "1200.00" and added.before is None
    client.post(reverse("cost_delete", args=[org_a.slug, fixture.cohort.pk, line.pk]))
    with tenant_context(org_a):
        removed = AuditEntry.objects.get(action="deleted", object_type="Cost Line")
        assert removed.actor_id == admin_a.user_id
        assert removed.before["description"] == "flights" and removed.after is None
        assert not impact.CostLine.objects.exists()
    with tenant_context(org_b):
        assert not AuditEntry.objects.exists()


def test_impact_setup_downloads_its_two_tables(org_a, org_b, admin_a, metric_a, login):
    fixture = make_pathway(org_a, n_steps=1, name="-Pilot")
    with tenant_context(org_a):
        impact.do_add_cost(fixture.cohort, impact.CostInput("travel", amount=Decimal(500)))
    client = login(admin_a)
    url = reverse("impact_setup", args=[org_a.slug])
    html = client.get(url).content.decode()
    assert "table=metrics&amp;format=csv" in html and "table=cohorts&amp;format=xlsx" in html
    metrics, _ = download(client, url, table="metrics")
    assert metrics[1][:2] == ["'+Engagement", "points"] and metrics[1][4] == "2"
    cohorts, as_xlsx = download(client, url, table="cohorts")
    assert cohorts[1][0] == "'-Pilot cohort"
    assert column(cohorts, "Costs") == ["500.00"] and column(cohorts, "Cost lines") == ["1"]

    def more_cohorts() -> None:
        for i in range(3):
            make_pathway(org_a, n_steps=1, name=f"Wave {i}")

    assert_constant_queries(client, url, more_cohorts, table="cohorts")


def test_measurement_downloads_are_for_admins_of_the_organisation(
    org_a, org_b, admin_a, metric_a, login
):
    metric, _ = metric_a
    fixture = make_pathway(org_a, n_steps=1)
    urls = [
        reverse("metric_values", args=[org_a.slug, metric.pk]),
        reverse("cohort_costs", args=[org_a.slug, fixture.cohort.pk]),
        reverse("impact_setup", args=[org_a.slug]) + "?table=metrics",
        reverse("impact_setup", args=[org_a.slug]) + "?table=cohorts",
    ]
    learner = make_member(org_a, "l@a.example", is_learner=True, is_sponsor=True)
    outsider = make_member(org_b, "admin@b.example", is_admin=True)
    for member in (learner, outsider):
        client = login(member)
        for url in urls:
            for fmt in ("csv", "xlsx"):
                sep = "&" if "?" in url else "?"
                assert client.get(f"{url}{sep}format={fmt}").status_code == 404, url
    client = login(outsider)  # their own address with the other organisation's ids
    for url in urls[:2]:
        mine = url.replace(org_a.slug, org_b.slug)
        assert client.get(mine, {"format": "csv"}).status_code == 404


# --- the sponsor's impact page and its evidence --------------------------------------------


def _sponsored(org, monkeypatch, learners_n=40):
    cohort_id = build_example(org, monkeypatch, learners_n=learners_n)
    with tenant_context(org):
        impact.do_rollup_impact()
    sponsor = make_member(org, f"sponsor@{org.slug}.example", is_sponsor=True)
    with tenant_context(org):
        CohortSponsor.objects.create(cohort_id=cohort_id, membership=sponsor)
    return cohort_id, sponsor


def test_the_impact_pages_tables_download(org_a, org_b, monkeypatch, login):
    cohort_id, sponsor = _sponsored(org_a, monkeypatch)
    client = login(sponsor)
    url = reverse("sponsor_home", args=[org_a.slug])
    html = client.get(url).content.decode()
    assert f"cohort={cohort_id}&amp;table=levels&amp;format=csv" in html
    with tenant_context(org_a):
        metric_id = impact.Metric.objects.get().pk
    metric_url = reverse("impact_metric", args=[org_a.slug, cohort_id, metric_id])
    assert f"{metric_url}?format=csv" in html  # the chart's monthly means, from the sponsor page
    levels, _ = download(client, url, cohort=cohort_id, table="levels")
    assert levels[0] == ["Level", "Name", "What we found", "Based on"]
    assert column(levels, "Level")[0] == "1" and column(levels, "Level")[-1] == "ROI"
    roi, _ = download(client, url, cohort=cohort_id)  # the default stays the ROI table
    assert "880000.00" in [cell for row in roi for cell in row]
    page = client.get(metric_url).content.decode()
    assert "table=values&amp;format=csv" in page
    values, as_xlsx = download(client, metric_url, table="values")
    assert len(values) - 1 == 8 * 6  # every team value of the plan's teams, all pages
    assert {r[1] for r in values[1:]} == {"participants", "comparison"}
    assert as_xlsx[1][3] is not None


def test_behaviour_download_keeps_the_anonymity_rule(org_a, org_b, monkeypatch, login):
    from competencies import services as competency_services
    from tests.measurement.test_behaviour_rollup import _facts

    fixture = make_pathway(org_a, n_steps=1)
    learners = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(6)]
    for learner in learners:
        enroll(org_a, fixture, learner)
    sponsor = make_member(org_a, "s@a.example", is_sponsor=True)
    with tenant_context(org_a):
        framework = competency_services.do_create_framework(None, "Leadership")
        listening = competency_services.do_create_competency(None, framework, "=Listening")
        feedback = competency_services.do_create_competency(None, framework, "Giving feedback")
        CohortSponsor.objects.create(cohort=fixture.cohort, membership=sponsor)
    facts = _facts(fixture.cohort.pk, learners, listening.pk, 6) + _facts(
        fixture.cohort.pk, learners, feedback.pk, 4
    )
    monkeypatch.setattr(sources, "competency_scores", lambda ids: facts)
    with tenant_context(org_a):
        impact.do_save_plan(
            fixture.cohort,
            impact.PlanInput(
                dt.date(2026, 7, 1), dt.date(2026, 12, 31), profit_margin_pct=Decimal(10)
            ),
            None,
        )
        impact.do_rollup_impact()
    client = login(sponsor)
    url = reverse("sponsor_home", args=[org_a.slug])
    cohort_id = fixture.cohort.pk
    assert (
        f"cohort={cohort_id}&amp;table=behaviour&amp;format=csv" in client.get(url).content.decode()
    )
    behaviour, as_xlsx = download(client, url, cohort=cohort_id, table="behaviour")
    rows = {r[0]: r for r in behaviour[1:]}
    expected = stats.paired_change(BASE, FOLLOW)
    assert isinstance(expected, stats.PairedChange)
    shown = rows["'=Listening"]
    assert shown[1] == "6" and float(shown[2]) == pytest.approx(expected.mean_change)
    assert shown[-2] == "1"  # one reliable improvement
    hidden = rows["Giving feedback"]  # four learners: no figure, and why
    assert hidden[1] == "4" and hidden[2:8] == [""] * 6
    assert hidden[-1].startswith("hidden: fewer than 5 learners")
    assert [r[0] for r in as_xlsx[1:]] == ["'=Listening", "Giving feedback"]


def test_progress_by_team_download_shows_only_teams_of_five(org_a, org_b, monkeypatch, login):
    cohort_id, sponsor = _sponsored(org_a, monkeypatch, learners_n=24)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    client = login(sponsor)
    url = reverse("sponsor_home", args=[org_a.slug])
    assert "table=progress&amp;format=xlsx" in client.get(url).content.decode()
    progress, _ = download(client, url, table="progress")
    assert progress[0] == ["Team", "Learners", "Finished", "Mean completion %"]
    assert sorted(column(progress, "Team")) == ["Sales 0", "Sales 1", "Sales 2", "Sales 3"]
    assert set(column(progress, "Learners")) == {"6"}


def test_impact_downloads_answer_only_the_pages_readers(org_a, org_b, monkeypatch, login):
    cohort_id, sponsor = _sponsored(org_a, monkeypatch, learners_n=5)
    url = reverse("sponsor_home", args=[org_a.slug])
    other_sponsor = login(make_member(org_a, "other@a.example", is_sponsor=True))
    for table in ("levels", "behaviour", "roi"):
        response = other_sponsor.get(url, {"cohort": cohort_id, "table": table, "format": "csv"})
        assert response.status_code == 404  # a cohort they do not sponsor: nothing to show
    learner = login(make_member(org_a, "learner@a.example", is_learner=True))
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True, is_sponsor=True))
    with tenant_context(org_a):
        metric_id = impact.Metric.objects.get().pk
    metric_url = reverse("impact_metric", args=[org_a.slug, cohort_id, metric_id])
    for client in (learner, outsider):
        for table in ("levels", "behaviour", "progress"):
            params = {"cohort": cohort_id, "table": table, "format": "xlsx"}
            assert client.get(url, params).status_code == 404
        assert client.get(metric_url, {"table": "values", "format": "csv"}).status_code == 404
    mine = metric_url.replace(org_a.slug, org_b.slug)
    assert outsider.get(mine, {"table": "values", "format": "csv"}).status_code == 404


def test_impact_downloads_take_the_same_queries_whatever_the_cohort_size(
    org_a, org_b, monkeypatch, login
):
    small, sponsor_a = _sponsored(org_a, monkeypatch, learners_n=5)
    big, sponsor_b = _sponsored(org_b, monkeypatch, learners_n=40)
    from tests.downloads import export_queries

    for table in ("levels", "behaviour", "progress"):
        few = export_queries(
            login(sponsor_a), reverse("sponsor_home", args=[org_a.slug]), cohort=small, table=table
        )
        many = export_queries(
            login(sponsor_b), reverse("sponsor_home", args=[org_b.slug]), cohort=big, table=table
        )
        assert few == many, table


# --- the admin home's data quality ---------------------------------------------------------


def test_the_admin_homes_data_quality_downloads(org_a, org_b, admin_a, monkeypatch, login):
    cohort_id, _ = _sponsored(org_a, monkeypatch, learners_n=5)
    client = login(admin_a)
    url = reverse("org_home", args=[org_a.slug])
    html = client.get(url).content.decode()
    assert "table=data-quality&amp;format=csv" in html
    assert reverse("cohort_list", args=[org_a.slug]) + "?format=csv" in html  # programme health
    quality, _ = download(client, url, table="data-quality")
    assert quality[0][:3] == ["Cohort", "Plan", "Comparison group"]
    assert quality[1][:3] == ["Leading Through Change cohort", "yes", "yes"]
    modules, _ = download(client, url, table="modules")
    assert modules[0][0] == "Module"

    def more_cohorts() -> None:
        for i in range(3):
            make_pathway(org_a, n_steps=1, name=f"Wave {i}")

    assert_constant_queries(client, url, more_cohorts, table="data-quality")
    learner = login(make_member(org_a, "learner@a.example", is_learner=True))
    response = learner.get(url, {"table": "data-quality", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    assert outsider.get(url, {"table": "data-quality", "format": "csv"}).status_code == 404
