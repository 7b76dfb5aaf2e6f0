"""Downloads of the team list and the audit log: every row the page would list (all pages),
formulas neutralised, admins of the organisation only, a constant number of queries."""

from __future__ import annotations

from django.urls import reverse

from organizations.models import AuditEntry, Team
from organizations.people import services
from organizations.tenancy import tenant_context
from tests.conftest import make_member
from tests.downloads import assert_constant_queries, column, download

EVIL = '=HYPERLINK("http://x.test","hi")'


def _team(org, admin, name, parent=None, manager=None):
    with tenant_context(org):
        return services.do_save_team(admin.user, None, name=name, parent=parent, manager=manager)


def test_team_list_downloads_in_tree_order(org_a, org_b, admin_a, login):
    manager = make_member(org_a, "boss@a.example", is_learner=True)
    sales = _team(org_a, admin_a, "Sales", manager=manager)
    _team(org_a, admin_a, EVIL, parent=sales)
    _team(org_a, admin_a, "Finance")
    _team(org_b, make_member(org_b, "admin@b.example", is_admin=True), "Globex team")
    client = login(admin_a)
    url = reverse("team_list", args=[org_a.slug])
    assert "format=xlsx" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0] == ["Team", "Parent team", "Level", "Manager", "Active members"]
    assert rows[1:] == [
        ["Finance", "", "0", "", "0"],
        ["Sales", "", "0", "Boss", "0"],
        ["'" + EVIL, "Sales", "1", "", "0"],
    ]
    assert as_xlsx[3][0] == "'" + EVIL and as_xlsx[3][2] == 1

    def more_teams() -> None:
        for i in range(5):
            team = _team(org_a, admin_a, f"Unit {i}", parent=sales)
            make_member(org_a, f"m{i}@a.example", team=team, is_learner=True)

    assert_constant_queries(client, url, more_teams)
    assert column(download(client, url)[0], "Active members")[-1] == "1"


def test_audit_log_downloads_every_matching_entry(org_a, org_b, admin_a, login):
    sales = _team(org_a, admin_a, "Sales")
    with tenant_context(org_a):
        services.do_save_team(admin_a.user, sales, name=EVIL, parent=None, manager=None)
    _team(org_b, make_member(org_b, "admin@b.example", is_admin=True), "Globex team")
    client = login(admin_a)
    url = reverse("audit_log", args=[org_a.slug])
    html = client.get(url, {"object_type": "Team"}).content.decode()
    assert "object_type=Team&amp;format=csv" in html
    rows, as_xlsx = download(client, url)
    assert rows[0] == ["When", "Who", "Action", "What", "Object", "Changes"]
    with tenant_context(org_a):
        assert len(rows) - 1 == AuditEntry.objects.count()
    newest = rows[1]
    assert newest[1:4] == ["Admin", "updated", "Team"]
    assert newest[4] == "'" + EVIL
    assert f"name: Sales → {EVIL}" in newest[5].splitlines()
    assert "Globex team" not in str(rows)
    assert as_xlsx[1][4] == "'" + EVIL
    only_created, _ = download(client, url, action="created")
    assert set(column(only_created, "Action")) == {"created"}

    def more_entries() -> None:
        parent = _team(org_a, admin_a, "Parent")
        for i in range(60):  # more than a page of the log (50)
            _team(org_a, admin_a, f"Unit {i}", parent=parent)

    assert_constant_queries(client, url, more_entries)
    with tenant_context(org_a):
        assert len(download(client, url)[0]) - 1 == AuditEntry.objects.count() > 60


def test_people_downloads_are_for_admins_of_the_organisation(org_a, org_b, admin_a, login):
    _team(org_a, admin_a, "Sales")
    urls = [reverse("team_list", args=[org_a.slug]), reverse("audit_log", args=[org_a.slug])]
    for member in (
        make_member(org_a, "l@a.example", is_learner=True, is_coach=True, is_sponsor=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    ):
        client = login(member)
        for url in urls:
            for fmt in ("csv", "xlsx"):
                assert client.get(url, {"format": fmt}).status_code == 404, url
    with tenant_context(org_a):
        assert Team.objects.count() == 1
