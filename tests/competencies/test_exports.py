"""Downloads of the framework list and the alignment map: the page's rows, formulas
neutralised (priority titles become column headers), admins of the organisation only, a
constant number of queries."""

from __future__ import annotations

from django.urls import reverse

from competencies import services
from organizations.tenancy import tenant_context
from tests.competencies.helpers import build_framework
from tests.conftest import make_member
from tests.downloads import assert_constant_queries, column, download


def test_frameworks_download_with_their_counts(org_a, org_b, admin_a, login):
    build_framework(org_a, 3, name="Leadership")
    with tenant_context(org_a):
        services.do_create_framework(None, "=Sales basics", "@risky description")
    build_framework(org_b, 2, name="Globex model")
    client = login(admin_a)
    url = reverse("framework_list", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0][0] == "Framework"
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Leadership", "'=Sales basics"}
    assert by_name["Leadership"][2:6] == ["3", "6", "5", "3"]
    assert by_name["'=Sales basics"][1] == "'@risky description"
    assert_constant_queries(client, url, lambda: build_framework(org_a, 2, name="More"))


def test_the_alignment_map_downloads_as_a_matrix(org_a, org_b, admin_a, login):
    framework = build_framework(org_a, 3, priorities=2)
    with tenant_context(org_a):
        services.do_create_priority(None, "+Grow revenue", "")
    client = login(admin_a)
    url = reverse("alignment_map", args=[org_a.slug])
    assert "format=xlsx" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0] == [
        "Framework",
        "Competency",
        "Category",
        "'+Grow revenue",
        "Priority 1",
        "Priority 2",
        "Priorities served",
    ]
    assert rows[1] == ["Leadership", "Competency 1", "Cat 0", "", "1", "", "1"]
    assert rows[2] == ["Leadership", "Competency 2", "Cat 1", "", "", "2", "1"]
    assert as_xlsx[3][4] == 3  # Competency 3 serves Priority 1 with weight 3
    html = client.get(url, {"framework": framework.pk}).content.decode()
    other = build_framework(org_a, 1, name="Other", priorities=0)
    only, _ = download(client, url, framework=framework.pk)
    assert f"framework={framework.pk}&amp;format=csv" in html
    assert set(column(only, "Framework")) == {"Leadership"}
    assert "Other" in column(download(client, url)[0], "Framework")
    assert_constant_queries(
        client, url, lambda: build_framework(org_a, 4, name="Third", priorities=1)
    )
    assert other.pk != framework.pk


def test_competency_downloads_are_for_admins_of_the_organisation(org_a, org_b, admin_a, login):
    build_framework(org_a, 2)
    urls = [
        reverse("framework_list", args=[org_a.slug]),
        reverse("alignment_map", args=[org_a.slug]),
    ]
    for member in (
        make_member(org_a, "l@a.example", is_learner=True, is_coach=True, is_sponsor=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    ):
        client = login(member)
        for url in urls:
            for fmt in ("csv", "xlsx"):
                assert client.get(url, {"format": fmt}).status_code == 404, url


def test_a_frameworks_scale_and_a_prioritys_competencies_download(org_a, org_b, admin_a, login):
    framework = build_framework(org_a, 3, priorities=1)
    with tenant_context(org_a):
        levels = {lv.value: (lv.label, lv.descriptor) for lv in framework.levels.all()}
        changes = {1: ("=Starter", levels[1][1])}
        services.do_update_scale(None, framework, changes)
        priority = services.do_create_priority(None, "Grow revenue", "")
        competency = framework.competencies.order_by("position").first()
        services.do_set_alignment(None, priority, competency, 4)
    client = login(admin_a)
    url = reverse("framework_detail", args=[org_a.slug, framework.pk])
    assert "format=csv" in client.get(url).content.decode()
    scale, _ = download(client, url)
    assert scale[0] == ["Level", "Label", "What it looks like"]
    assert scale[1][:2] == ["1", "'=Starter"] and len(scale) == 1 + len(levels)
    priority_url = reverse("priority_detail", args=[org_a.slug, priority.pk])
    assert "format=xlsx" in client.get(priority_url).content.decode()
    linked, _ = download(client, priority_url)
    assert linked[1:] == [["Competency 1", "Leadership", "4"]]
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    for target in (url, priority_url):
        assert outsider.get(target, {"format": "csv"}).status_code == 404
        mine = target.replace(org_a.slug, org_b.slug)
        assert outsider.get(mine, {"format": "csv"}).status_code == 404
    learner = login(make_member(org_a, "l@a.example", is_learner=True))
    assert learner.get(url, {"format": "csv"}).status_code == 404
