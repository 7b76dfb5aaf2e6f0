"""The sponsor's impact page, its evidence drill-downs, exports and PDF: only the cohorts the
reader sponsors, 404 for other organisations, and a constant number of queries."""

from __future__ import annotations

from django.urls import reverse

from measurement import impact
from organizations.tenancy import tenant_context
from pathways.models import Cohort, CohortSponsor
from tests.conftest import count_queries, make_member
from tests.measurement.impact_fixtures import build_example


def _sponsor(org, cohort_id, email="sponsor@a.example"):
    sponsor = make_member(org, email, is_sponsor=True)
    with tenant_context(org):
        CohortSponsor.objects.create(cohort_id=cohort_id, membership=sponsor)
    return sponsor


def _rolled(org, monkeypatch, learners_n=40):
    cohort_id = build_example(org, monkeypatch, learners_n=learners_n)
    with tenant_context(org):
        impact.do_rollup_impact()
    return cohort_id


def test_it_shows_the_headline_chain_and_roi_table(org_a, org_b, monkeypatch, login):
    cohort_id = _rolled(org_a, monkeypatch)
    client = login(_sponsor(org_a, cohort_id))
    response = client.get(reverse("sponsor_home", args=[org_a.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "91 %" in html  # ROI headline
    assert "6.3" in html  # payback months
    assert "1.91" in html
    assert "Difference-in-differences: -3.00 percentage points" in html
    assert "29 of 40 participants claimed" in html
    assert "Intangibles, listed beside the ROI and never added in" in html
    assert reverse("impact_claims", args=[org_a.slug, cohort_id]) in html
    assert reverse("impact_pdf", args=[org_a.slug, cohort_id]) in html


def test_a_sponsor_sees_only_the_cohorts_they_sponsor(org_a, org_b, monkeypatch, login):
    cohort_id = _rolled(org_a, monkeypatch)
    client = login(make_member(org_a, "other-sponsor@a.example", is_sponsor=True))
    response = client.get(reverse("sponsor_home", args=[org_a.slug]) + f"?cohort={cohort_id}")
    assert response.status_code == 200
    assert "No impact figures yet" in response.content.decode()
    for name, args in (
        ("impact_claims", [org_a.slug, cohort_id]),
        ("impact_pdf", [org_a.slug, cohort_id]),
        ("impact_metric", [org_a.slug, cohort_id, 1]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404


def test_another_organisations_member_gets_404(org_a, org_b, monkeypatch, login):
    cohort_id = _rolled(org_a, monkeypatch)
    with tenant_context(org_a):
        metric_id = impact.Metric.objects.get().pk
    outsider = make_member(org_b, "sponsor@b.example", is_sponsor=True, is_admin=True)
    client = login(outsider)
    for name, args in (
        ("sponsor_home", [org_a.slug]),
        ("impact_claims", [org_a.slug, cohort_id]),
        ("impact_pdf", [org_a.slug, cohort_id]),
        ("impact_metric", [org_a.slug, cohort_id, metric_id]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404
    # in their own organisation the cohort id of another organisation is not found either
    for name, args in (
        ("impact_claims", [org_b.slug, cohort_id]),
        ("impact_pdf", [org_b.slug, cohort_id]),
        ("impact_metric", [org_b.slug, cohort_id, metric_id]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404


def test_a_benefit_leads_to_its_claims_and_metric_values(org_a, org_b, monkeypatch, login):
    cohort_id = _rolled(org_a, monkeypatch)
    with tenant_context(org_a):
        metric_id = impact.Metric.objects.get().pk
    client = login(_sponsor(org_a, cohort_id))
    claims = client.get(reverse("impact_claims", args=[org_a.slug, cohort_id])).content.decode()
    assert "Moonshot" in claims and "unsupported" in claims
    assert "mgr" not in claims  # no learner is named
    values = client.get(reverse("impact_metric", args=[org_a.slug, cohort_id, metric_id]))
    html = values.content.decode()
    assert "Sales 0" in html and "Service 3" in html
    csv = client.get(
        reverse("impact_metric", args=[org_a.slug, cohort_id, metric_id]) + "?format=csv"
    )
    assert csv["Content-Type"].startswith("text/csv")
    assert "comparison" in csv.content.decode()


def test_it_exports_the_roi_table_and_a_one_page_pdf(org_a, org_b, monkeypatch, login):
    cohort_id = _rolled(org_a, monkeypatch)
    client = login(_sponsor(org_a, cohort_id))
    csv = client.get(reverse("sponsor_home", args=[org_a.slug]) + "?format=csv").content.decode()
    assert "880000.00" in csv and "460000.00" in csv and "Engagement" in csv
    xlsx = client.get(reverse("sponsor_home", args=[org_a.slug]) + "?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    pdf = client.get(reverse("impact_pdf", args=[org_a.slug, cohort_id]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and pdf.content.count(b"/Type /Page\n") <= 1


def test_the_page_takes_the_same_queries_whatever_the_cohort_size(org_a, org_b, monkeypatch, login):
    small = _rolled(org_a, monkeypatch, learners_n=5)
    client = login(_sponsor(org_a, small))
    url = reverse("sponsor_home", args=[org_a.slug])
    client.get(url)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    big = _rolled(org_b, monkeypatch, learners_n=60)
    client_b = login(_sponsor(org_b, big, email="sponsor@b.example"))
    client_b.get(reverse("sponsor_home", args=[org_b.slug]))
    with count_queries() as many:
        assert client_b.get(reverse("sponsor_home", args=[org_b.slug])).status_code == 200
    assert len(few.app_queries) == len(many.app_queries)
    assert len(few.app_queries) == 5, [q["sql"][:90] for q in few.app_queries]
    with tenant_context(org_a):
        assert Cohort.objects.count() == 1
