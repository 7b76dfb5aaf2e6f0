"""Download of the project template list: the page's rows, formulas neutralised, admins of the
organisation only, a constant number of queries."""

from __future__ import annotations

from django.urls import reverse

from organizations.tenancy import tenant_context
from projects import services
from tests.conftest import make_member
from tests.downloads import assert_constant_queries, download


def _template(org, title, brief="Lead a real change.", weeks=(2, 6)):
    with tenant_context(org):
        return services.do_save_project_template(
            None,
            None,
            title=title,
            brief=brief,
            milestones=[services.MilestoneInput(f"Milestone {w}", w) for w in weeks],
        )


def test_project_templates_download(org_a, org_b, admin_a, login):
    _template(org_a, "Lead a change", brief="=cmd|' /C calc'!A0")
    _template(org_a, "@Improve a process", weeks=(4,))
    _template(org_b, "Globex template")
    client = login(admin_a)
    url = reverse("project_template_list", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0][:3] == ["Template", "Brief", "Scope"]
    by_title = {r[0]: r for r in rows[1:]}
    assert set(by_title) == {"Lead a change", "'@Improve a process"}
    change = by_title["Lead a change"]
    assert change[1] == "'=cmd|' /C calc'!A0"
    assert change[4:6] == ["Milestone 2 (week 2); Milestone 6 (week 6)", "6"]

    def more_templates() -> None:
        for i in range(4):
            _template(org_a, f"Template {i}")

    assert_constant_queries(client, url, more_templates)
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    learner = make_member(org_a, "l@a.example", is_learner=True, is_sponsor=True, is_coach=True)
    for client in (outsider, login(learner)):
        for fmt in ("csv", "xlsx"):
            assert client.get(url, {"format": fmt}).status_code == 404
