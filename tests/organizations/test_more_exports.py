"""Downloads of the security events (a person's own, an organisation's for its admins), the
API keys and the import pages (recent imports, a file's problems, the changes it makes; the
metric import's problems): the page's rows, formulas neutralised (a browser's user agent is
text an attacker chooses), the page's readers only, and a constant number of queries."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from measurement import importer as metric_importer
from organizations.api_keys import services as key_services
from organizations.people import services as people_services
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, make_member
from tests.downloads import assert_constant_queries, column, download

EVIL_AGENT = '=HYPERLINK("http://x.test","Chrome")'


def _sign_in(email: str, agent: str = "Firefox") -> None:
    browser = Client(HTTP_USER_AGENT=agent)
    response = browser.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_person_downloads_their_own_security_events(org_a, org_b, admin_a, login):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    _sign_in("leo@a.example", EVIL_AGENT)
    _sign_in("admin@a.example")
    client = login(leo)
    url = reverse("my_security")
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0] == ["When", "Who", "What", "Organisation", "IP address", "Browser"]
    assert "'" + EVIL_AGENT in column(rows, "Browser")
    assert set(column(rows, "Who")) == {"Leo"} and set(column(rows, "What")) == {"Signed in"}
    assert_constant_queries(client, url, lambda: _sign_in("leo@a.example"))


def test_admins_download_their_members_security_events(org_a, org_b, admin_a, login):
    make_member(org_a, "leo@a.example", is_learner=True)
    make_member(org_b, "eve@b.example", is_learner=True)
    _sign_in("leo@a.example", EVIL_AGENT)
    _sign_in("eve@b.example")
    client = login(admin_a)
    url = reverse("organization_events", args=[org_a.slug])
    assert "format=xlsx" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert set(column(rows, "Who")) == {"Leo", "Admin"}  # Eve of the other organisation: no
    assert "'" + EVIL_AGENT in [r[5] for r in as_xlsx[1:]]
    assert_constant_queries(client, url, lambda: [_sign_in("leo@a.example") for _ in range(3)])
    for member in (
        make_member(org_a, "l2@a.example", is_learner=True, is_coach=True, is_sponsor=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    ):
        for fmt in ("csv", "xlsx"):
            assert login(member).get(url, {"format": fmt}).status_code == 404


def test_api_keys_download_without_secrets(org_a, org_b, admin_a, login):
    with tenant_context(org_a):
        created = key_services.do_create_key(admin_a, "=BI feed", "read")
    client = login(admin_a)
    url = reverse("api_keys", args=[org_a.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0][:4] == ["Key", "Prefix", "Status", "Access"]
    assert rows[1][0] == "'=BI feed" and rows[1][2] == "Active"
    assert created.plaintext not in str(rows)

    def more_keys() -> None:
        with tenant_context(org_a):
            for i in range(3):
                key_services.do_create_key(admin_a, f"Key {i}", "read")

    assert_constant_queries(client, url, more_keys)
    for member in (
        make_member(org_a, "l@a.example", is_learner=True, is_coach=True, is_sponsor=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    ):
        for fmt in ("csv", "xlsx"):
            assert login(member).get(url, {"format": fmt}).status_code == 404


HEADER = "email,name,title,function,team,manager_email,roles\n"


def test_people_imports_download_their_problems_and_changes(org_a, org_b, admin_a, login):
    make_member(org_a, "ana@a.example", is_learner=True)
    with tenant_context(org_a):
        bad, _ = people_services.do_preview_import(
            admin_a.user, "bad.csv", HEADER + "not-an-address,=Evil,,,,,learner\n"
        )
        good, _ = people_services.do_preview_import(
            admin_a.user, "=good.csv", HEADER + "ana@a.example,+Ana Silva,Lead,Sales,,,learner\n"
        )
    client = login(admin_a)
    bad_url = reverse("import_detail", args=[org_a.slug, bad.pk])
    assert "table=problems&amp;format=csv" in client.get(bad_url).content.decode()
    problems, _ = download(client, bad_url, table="problems")
    assert problems[0] == ["Row", "Column", "Problem"]
    assert problems[1][:2] == ["2", "email"]
    good_url = reverse("import_detail", args=[org_a.slug, good.pk])
    assert "table=changes&amp;format=xlsx" in client.get(good_url).content.decode()
    changes, _ = download(client, good_url, table="changes")
    assert changes[0] == ["Person", "E-mail", "Field", "Before", "After"]
    assert changes[1][:2] == ["'+Ana Silva", "ana@a.example"]
    assert any(r[4] == "'+Ana Silva" for r in changes[1:])
    upload_url = reverse("import_upload", args=[org_a.slug])
    recent, _ = download(client, upload_url)
    assert column(recent, "File") == ["'=good.csv", "bad.csv"]
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    for url in (bad_url, upload_url):
        for fmt in ("csv", "xlsx"):
            assert outsider.get(url, {"format": fmt}).status_code == 404
    mine = reverse("import_detail", args=[org_b.slug, bad.pk])
    assert outsider.get(mine, {"format": "csv"}).status_code == 404


def test_a_metric_imports_problems_download(org_a, org_b, admin_a, login):
    with tenant_context(org_a):
        job = metric_importer.do_start_import(
            "values.csv", b"metric,team,period,value\n=Engagement,Team 9,2026-01,61\n", admin_a
        )
    assert job.status == "refused"
    client = login(admin_a)
    url = reverse("metric_import_detail", args=[org_a.slug, job.pk])
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0] == ["Row", "Column", "Problem"] and len(rows) > 1
    outsider = login(make_member(org_b, "admin@b.example", is_admin=True))
    assert outsider.get(url, {"format": "csv"}).status_code == 404
    learner = login(make_member(org_a, "l@a.example", is_learner=True))
    assert learner.get(url, {"format": "csv"}).status_code == 404
