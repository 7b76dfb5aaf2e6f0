"""The admin home: programme health (its rows built in Python, the same table as the cohort
list's) and data quality, in a constant number of statements; another organisation's admin
sees none of it."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from measurement import queries as measurement_queries
from measurement.services import do_rollup_progress
from organizations.tenancy import tenant_context
from pathways.models import Cohort, ModuleReaction, Step, StepCompletion
from pathways.services import refresh_module_reach
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _table(html: str) -> str:
    """The programme-health paragraph and table of a page."""
    return re.search(r'<p class="muted" id="progress-as-of">.*?</table>', html, re.S).group(0)


def _programme(org, tag: str, n_learners: int, start: dt.date) -> None:
    fixture = make_pathway(org, n_steps=3, start=start, name=f"{tag} & <path>")
    people = [make_member(org, f"{tag}{i}@x.example", is_learner=True) for i in range(n_learners)]
    enrolments = [enroll(org, fixture, p) for p in people]
    with tenant_context(org):
        Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=1)
        Cohort.objects.filter(pk=fixture.cohort.pk).update(end_date=start + dt.timedelta(days=90))
        StepCompletion.objects.create(
            enrollment=enrolments[0], learner=people[0], step_key=fixture.steps[0].key
        )
        for person in people:
            ModuleReaction.objects.create(
                learner=person, module=fixture.steps[0].module, useful=2, relevant=3
            )
        refresh_module_reach([fixture.steps[0].module_id])
        do_rollup_progress(org)
    # One more learner after the roll-up: "not counted yet".
    enroll(org, fixture, make_member(org, f"{tag}-late@x.example", is_learner=True))


def test_the_admin_home_shows_the_cohort_lists_table_with_each_cohorts_figures(
    org_a, org_b, admin_a, login
):
    _programme(org_a, "spring", 5, timezone.localdate() - dt.timedelta(days=10))
    client = login(admin_a)
    home = client.get(f"/o/{org_a.slug}/").content.decode()
    listed = client.get(f"/o/{org_a.slug}/cohorts/").content.decode()
    assert _table(home) == _table(listed)
    table = _table(home)
    assert "spring &amp; &lt;path&gt; cohort" in table
    assert "(1 new learner not counted yet)" in table
    assert "1 of 15 required steps" in table
    assert 'aria-label="4 overdue steps, 4 learners"' in table
    assert "?show=not_started" in table and "?show=overdue" in table
    assert "Weakest modules" in home and "spring &amp; &lt;path&gt; module 1" in home
    assert '<td class="num">2.00</td><td class="num">3.00</td>' in home
    assert "no plan yet" in home  # a started cohort without a measurement plan


def test_the_admin_home_reads_in_constant_statements_and_only_its_organisation(
    org_a, org_b, admin_a, login
):
    _programme(org_a, "spring", 5, timezone.localdate() - dt.timedelta(days=10))
    _programme(org_b, "globex", 5, timezone.localdate() - dt.timedelta(days=10))
    client = login(admin_a)
    client.get(f"/o/{org_a.slug}/")
    with count_queries() as few:
        client.get(f"/o/{org_a.slug}/")
    _programme(org_a, "autumn", 7, timezone.localdate() - dt.timedelta(days=40))
    with count_queries() as more:
        html = client.get(f"/o/{org_a.slug}/").content.decode()
    assert len(few.app_queries) == len(more.app_queries)
    assert "autumn &amp; &lt;path&gt; cohort" in html and "globex" not in html
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    assert outsider.get(f"/o/{org_a.slug}/").status_code == 404
    assert "spring" not in outsider.get(f"/o/{org_b.slug}/").content.decode()


def test_one_statement_reads_what_programme_health_and_data_quality_read(org_a, org_b):
    _programme(org_a, "spring", 5, timezone.localdate() - dt.timedelta(days=10))
    _programme(org_a, "autumn", 6, timezone.localdate() - dt.timedelta(days=40))
    _programme(org_b, "globex", 5, timezone.localdate() - dt.timedelta(days=10))
    with tenant_context(org_a):
        with count_queries() as ctx:
            home = measurement_queries.admin_home()
        assert len(ctx.app_queries) == 1
        assert home.health == measurement_queries.programme_health()
        assert home.quality == measurement_queries.data_quality()
    assert [c.name for c in home.health.cohorts] == [
        "spring & <path> cohort",
        "autumn & <path> cohort",
    ]
    assert [m.title for m in home.quality.weakest_modules] == [
        "autumn & <path> module 1",
        "spring & <path> module 1",
    ]
