"""People, teams, imports and the audit log pages: roles, cross-organisation 404s, rules and
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from freezegun import freeze_time

from organizations.audit import record_change
from organizations.models import AuditEntry, ImportJob, Membership, Team
from organizations.people import counts as people_counts
from organizations.people import queries, services
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member


def _team(org, name, parent=None):
    with tenant_context(org):
        return Team.objects.create(name=name, parent=parent)


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "boss@acme.example", is_admin=True)


def test_it_lists_people_with_search_and_filters(client, org_a, org_b, admin_a):
    sales = _team(org_a, "Sales")
    make_member(org_a, "ana@acme.example", team=sales, is_learner=True)
    make_member(org_a, "ben@acme.example", is_coach=True)
    make_member(org_b, "ana@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    page = client.get(url).content.decode()
    assert "ana@acme.example" in page and "ben@acme.example" in page
    assert "globex" not in page
    assert "ben@" not in client.get(url, {"q": "ana"}).content.decode()
    by_team = client.get(url, {"team": sales.pk}).content.decode()
    assert "ana@acme.example" in by_team and "ben@acme.example" not in by_team
    by_role = client.get(url, {"role": "coach"}).content.decode()
    assert "ben@acme.example" in by_role and "ana@acme.example" not in by_role
    partial = client.get(url, {"q": "ben"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="people-results"' in partial and "<html" not in partial


def test_it_filters_people_by_status(client, org_a, org_b, admin_a):
    gone = make_member(org_a, "gone@acme.example", is_learner=True)
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, gone)
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/people/", {"status": "deactivated"}).content.decode()
    assert "gone@acme.example" in page and "boss@acme.example" not in page


def test_the_people_list_runs_the_same_queries_for_5_and_50_people(
    client, org_a, org_b, admin_a, monkeypatch
):
    # Pages of 4: both sizes have a next page, so both count their matches.
    monkeypatch.setattr(queries, "PEOPLE_PER_PAGE", 4)
    team = _team(org_a, "Ops")
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    counts = []
    for start, stop in ((0, 5), (5, 50)):  # 5 people, then 50
        for i in range(start, stop):
            person = make_member(org_a, f"p{i:03d}@acme.example", team=team, is_learner=True)
            with tenant_context(org_a):
                Membership.objects.filter(pk=person.pk).update(manager=admin_a)
        with count_queries() as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_the_people_list_counts_up_to_a_bound_and_pages_by_name(
    client, org_a, org_b, admin_a, monkeypatch
):
    monkeypatch.setattr(queries, "PEOPLE_PER_PAGE", 2)
    people = [make_member(org_a, f"p{i}@acme.example", is_learner=True) for i in range(5)]
    make_member(org_b, "b-person@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    first = client.get(url).content.decode()
    assert "6 people" in first and "page=2" in first
    assert f'href="/o/{org_a.slug}/people/{people[0].pk}/"' in first
    # The last page knows the total from its own rows; no count reads past the bound.
    last = client.get(url, {"page": 3}).content.decode()
    assert "6 people" in last and "page=4" not in last and "p4@acme.example" in last
    monkeypatch.setattr(queries, "PEOPLE_COUNTED", 3)
    # A search is counted up to the bound; everyone exactly where the count is kept at write
    # time (PostgreSQL: organizations.people.counts).
    assert "More than 3 people" in client.get(url, {"q": "acme"}).content.decode()
    everyone = client.get(url).content.decode()
    assert ("6 people" if people_counts.stored() else "More than 3 people") in everyone
    assert "b-person" not in first + last


def test_admins_edit_a_person_and_the_change_is_audited(client, org_a, org_b, admin_a):
    ops = _team(org_a, "Ops")
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    response = client.post(
        f"/o/{org_a.slug}/people/{leo.pk}/",
        {
            "name": "Leo Martins",
            "email": "leo.martins@acme.example",
            "job_title": "Team Lead",
            "function": "Operations",
            "team": ops.pk,
            "manager_email": "boss@acme.example",
            "roles": ["learner", "coach"],
        },
    )
    assert response.status_code == 302
    with tenant_context(org_a):
        leo = Membership.objects.select_related("user").get(pk=leo.pk)
        assert leo.user.email == "leo.martins@acme.example"
        assert (leo.team_id, leo.manager_id, leo.is_coach) == (ops.pk, admin_a.pk, True)
        entry = AuditEntry.objects.get(action="updated", object_type="Person")
        assert entry.before["job_title"] == "" and entry.after["job_title"] == "Team Lead"
        assert (entry.before["team"], entry.after["team"]) == (None, "Ops")
    page = client.get(f"/o/{org_a.slug}/people/{leo.pk}/").content.decode()
    assert "job title: — → Team Lead" in page and "manager: — → boss@acme.example" in page


def test_it_refuses_a_manager_loop_and_removing_the_last_admin(org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    with tenant_context(org_a):
        Membership.objects.filter(pk=admin_a.pk).update(manager=leo)
        admin = Membership.objects.select_related("user").get(pk=admin_a.pk)
        leo = Membership.objects.select_related("user").get(pk=leo.pk)
        data = services.PersonData("leo@acme.example", "Leo", "", "", None, admin, {"learner"})
        with pytest.raises(ValidationError, match="reports to"):
            services.do_update_person(admin.user, leo, data)
        demote = services.PersonData(admin.user.email, "Boss", "", "", None, None, {"learner"})
        with pytest.raises(ValidationError, match="last HR admin"):
            services.do_update_person(admin.user, admin, demote)
        admin.refresh_from_db()
        assert admin.is_admin


def test_the_person_page_shows_errors_next_to_fields(client, org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    page = client.post(
        f"/o/{org_a.slug}/people/{leo.pk}/",
        {"name": "Leo", "email": "leo@acme.example", "manager_email": "ghost@acme.example"},
    ).content.decode()
    assert "ghost@acme.example is not a member of this organisation." in page
    assert "Choose at least one role." in page
    assert 'class="form-errors"' in page


def test_a_learner_gets_404_on_admin_pages(client, org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(leo.user)
    for path in ("people/", "teams/", "people/import/", "audit/", f"people/{leo.pk}/"):
        assert client.get(f"/o/{org_a.slug}/{path}").status_code == 404, path


def test_another_organisations_objects_are_404_under_ones_own_slug(client, org_a, org_b, admin_a):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    team = _team(org_a, "Sales")
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin_a.user, "a.csv", "email,name\nx@a.example,X\n")
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True)
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}"
    for url in (
        f"{base}/people/{leo.pk}/",
        f"{base}/teams/{team.pk}/",
        f"{base}/people/import/{job.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"{base}/people/{leo.pk}/deactivate/",
        f"{base}/people/{leo.pk}/invite/",
        f"{base}/teams/{team.pk}/delete/",
        f"{base}/people/import/{job.pk}/confirm/",
    ):
        assert client.post(url).status_code == 404, url
    with tenant_context(org_a):
        assert Membership.objects.get(pk=leo.pk).is_active
        assert Team.objects.filter(pk=team.pk).exists()
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PREVIEW


def test_another_organisations_person_and_team_cannot_be_changed_under_ones_own_slug(
    client, org_a, org_b, admin_a
):
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    gone = make_member(org_a, "gone@acme.example", is_learner=True)
    team = _team(org_a, "Sales")
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, gone)
        audit_before = AuditEntry.objects.count()
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True)
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}"
    person = {"name": "Hijacked", "email": "leo@acme.example", "roles": ["admin"]}
    for url, data in (
        (f"{base}/people/{gone.pk}/reactivate/", {}),
        (f"{base}/people/{leo.pk}/", person),
        (f"{base}/teams/{team.pk}/", {"name": "Hijacked"}),
    ):
        assert client.post(url, data).status_code == 404, url
    with tenant_context(org_a):
        assert not Membership.objects.get(pk=gone.pk).is_active
        saved = Membership.objects.select_related("user").get(pk=leo.pk)
        assert (saved.user.full_name, saved.is_admin) == ("Leo", False)
        assert Team.objects.get(pk=team.pk).name == "Sales"
        assert AuditEntry.objects.count() == audit_before


def test_another_organisations_team_or_manager_cannot_be_chosen_on_ones_own_pages(
    client, org_a, org_b, admin_a
):
    make_member(org_a, "leo@acme.example", is_learner=True)
    team = _team(org_a, "Sales")
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True)
    own_team = _team(org_b, "Globex ops")
    client.force_login(intruder.user)
    base = f"/o/{org_b.slug}"
    page = client.post(
        f"{base}/people/{intruder.pk}/",
        {
            "name": "Intruder",
            "email": "intruder@globex.example",
            "team": team.pk,
            "manager_email": "leo@acme.example",
            "roles": ["admin"],
        },
    ).content.decode()
    assert "Select a valid choice" in page
    assert "leo@acme.example is not a member of this organisation." in page
    page = client.post(
        f"{base}/teams/{own_team.pk}/", {"name": "Globex ops", "parent": team.pk}
    ).content.decode()
    assert "Select a valid choice" in page
    with tenant_context(org_b):
        assert Membership.objects.get(pk=intruder.pk).team_id is None
        assert Team.objects.get(pk=own_team.pk).parent_id is None
    with tenant_context(org_a):
        assert not Team.objects.get(pk=team.pk).children.exists()


def test_teams_nest_refuse_loops_and_refuse_deleting_with_members(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    base = f"/o/{org_a.slug}/teams"
    assert client.post(f"{base}/new/", {"name": "Commercial"}).status_code == 302
    with tenant_context(org_a):
        commercial = Team.objects.get(name="Commercial")
    client.post(f"{base}/new/", {"name": "Sales", "parent": commercial.pk})
    with tenant_context(org_a):
        sales = Team.objects.get(name="Sales")
    page = client.post(
        f"{base}/{commercial.pk}/", {"name": "Commercial", "parent": sales.pk}
    ).content.decode()
    assert "cannot sit under its own sub-team" in page
    duplicate = client.post(f"{base}/new/", {"name": "sales"}).content.decode()
    assert "already a team called" in duplicate
    top = client.get(f"{base}/").content.decode()
    assert "Commercial" in top and ">Sales<" not in top
    assert f'href="?parent={commercial.pk}">1</a>' in top  # one sub-team, a link to it
    inside = client.get(f"{base}/", {"parent": commercial.pk}).content.decode()
    assert ">Sales<" in inside and "Teams in Commercial" in inside
    make_member(org_a, "ana@acme.example", team=sales, is_learner=True)
    refused = client.post(f"{base}/{sales.pk}/delete/", follow=True).content.decode()
    assert "still has 1 member(s)" in refused
    assert client.post(f"{base}/{commercial.pk}/delete/").status_code == 302
    with tenant_context(org_a):
        sales.refresh_from_db()
        assert sales.parent_id is None  # moved up a level
        actions = list(
            AuditEntry.objects.filter(object_type="Team").values_list("action", flat=True)
        )
        assert sorted(actions) == ["created", "created", "deleted"]


def test_the_import_pages_preview_then_apply(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    content = b"email,name,team,roles\nana@acme.example,Ana Silva,Sales,learner\n"
    upload = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    response = client.post(f"/o/{org_a.slug}/people/import/", {"file": upload})
    with tenant_context(org_a):
        job = ImportJob.objects.get()
    assert response["Location"] == f"/o/{org_a.slug}/people/import/{job.pk}/"
    preview = client.get(response["Location"]).content.decode()
    assert "What this import will change" in preview and "Apply 2 changes" in preview
    with tenant_context(org_a):
        assert not Membership.objects.filter(user__email="ana@acme.example").exists()
    client.post(f"/o/{org_a.slug}/people/import/{job.pk}/confirm/")
    with tenant_context(org_a):
        assert Membership.objects.filter(user__email="ana@acme.example").exists()
    again = SimpleUploadedFile("people.csv", content, content_type="text/csv")
    second = client.post(f"/o/{org_a.slug}/people/import/", {"file": again}, follow=True)
    assert "0 changes" in second.content.decode()


def test_the_import_page_lists_problems_by_row(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    upload = SimpleUploadedFile("bad.csv", b"email,name\nnope,Ana\n", content_type="text/csv")
    page = client.post(f"/o/{org_a.slug}/people/import/", {"file": upload}, follow=True)
    html = page.content.decode()
    assert "1 problem — nothing was imported" in html
    assert "“nope” is not a valid e-mail address." in html


def test_the_progress_partial_polls_while_running_and_refreshes_when_done(
    client, org_a, org_b, admin_a
):
    with tenant_context(org_a):
        job = ImportJob.objects.create(
            filename="big.csv",
            content="",
            content_sha256="",
            status="running",
            total_rows=5000,
            processed_rows=1500,
        )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/import/{job.pk}/?progress=1"
    running = client.get(url, HTTP_HX_REQUEST="true")
    html = running.content.decode()
    assert 'hx-trigger="every 1s"' in html and "1,500 of 5,000 rows checked" in html
    assert 'aria-live="polite"' in html and "You can leave this page" in html
    assert "HX-Refresh" not in running
    with tenant_context(org_a):
        ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=5000)
    assert client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def _audit(org, admin, n):
    with tenant_context(org):
        for i in range(n):
            record_change(
                admin.user,
                "updated",
                object_type="Person",
                object_id=i,
                object_repr=f"Person {i}",
                before={"job_title": "Lead", "is_coach": False},
                after={"job_title": f"Director {i}", "is_coach": True},
            )


def test_the_audit_log_shows_a_readable_diff_newest_first_with_filters(
    client, org_a, org_b, admin_a
):
    _audit(org_a, admin_a, 2)
    other = make_member(org_b, "b-admin@globex.example", is_admin=True)
    _audit(org_b, other, 1)
    with tenant_context(org_a):
        old = AuditEntry.objects.get(object_id="0")
        old.created_at = timezone.now() - dt.timedelta(days=30)
        old.save()
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/audit/"
    html = client.get(url).content.decode()
    assert html.index("Person 1") < html.index("Person 0")
    assert "<del>Lead</del> → <ins>Director 1</ins>" in html
    assert "<del>no</del> → <ins>yes</ins>" in html
    assert "b-admin" not in html
    recent = client.get(url, {"date_from": (timezone.localdate() - dt.timedelta(days=2))})
    assert "Person 1" in recent.content.decode() and "Person 0" not in recent.content.decode()
    with tenant_context(org_a):
        record_change(admin_a.user, "deleted", object_type="Team", object_repr="Old team")
    by_action = client.get(url, {"action": "deleted"}).content.decode()
    assert "Old team" in by_action and "Person 1" not in by_action
    nothing = client.get(url, {"action": "deleted", "object_type": "Person"}).content.decode()
    assert "Nothing recorded here" in nothing
    by_actor = client.get(url, {"actor": admin_a.user.pk, "object_type": "Person"})
    assert "Person 0" in by_actor.content.decode()
    bad = client.get(url, {"date_from": "2026-02-02", "date_to": "2026-01-01"}).content.decode()
    assert "The end date is before the start date." in bad


def test_the_audit_log_runs_the_same_queries_for_5_and_50_entries(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    counts = []
    for n in (5, 45):
        _audit(org_a, admin_a, n)
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/audit/").status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_admins_invite_a_person_from_the_page(
    client, org_a, org_b, admin_a, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(admin_a.user)
    assert client.get(f"/o/{org_a.slug}/people/invite/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/{org_a.slug}/people/invite/",
            {"name": "Nia Reyes", "email": "Nia@Acme.example", "roles": ["learner", "coach"]},
        )
    with tenant_context(org_a):
        nia = Membership.objects.select_related("user").get(user__email="nia@acme.example")
    assert response["Location"] == f"/o/{org_a.slug}/people/{nia.pk}/"
    assert (nia.is_learner, nia.is_coach, nia.user.full_name) == (True, True, "Nia Reyes")
    [mail] = mailoutbox
    assert "http://testserver/invitations/" in mail.body
    page = client.get(response["Location"]).content.decode()
    assert "Invited" in page and "Re-send invitation" in page


def test_the_team_list_runs_the_same_queries_for_5_and_50_teams(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    counts = []
    parent = None
    for start, stop in ((0, 5), (5, 50)):
        for i in range(start, stop):
            parent = _team(org_a, f"Team {i:02d}", parent=parent if i % 3 else None)
            make_member(org_a, f"m{i:02d}@acme.example", team=parent, is_learner=True)
            with tenant_context(org_a):
                Team.objects.filter(pk=parent.pk).update(manager=admin_a)
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/teams/").status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_demo_teams_get_managers_idempotently(org_a, org_b):
    import random

    from organizations.demo import seed_people

    with tenant_context(org_a):
        people = seed_people(org_a, 24, random.Random(1))
        managers = dict(Team.objects.values_list("name", "manager_id"))
        reports = dict(Membership.objects.values_list("pk", "manager_id"))
        seed_people(org_a, 24, random.Random(1))
        assert dict(Team.objects.values_list("name", "manager_id")) == managers
        assert dict(Membership.objects.values_list("pk", "manager_id")) == reports
        assert all(managers.values())
        leo = Membership.objects.select_related("manager__team").get(pk=people.learner.pk)
        assert leo.manager.team.name == "Operations"
        assert leo.manager.manager_id == people.sponsor.pk


def test_it_refuses_to_change_the_email_of_someone_who_also_belongs_elsewhere(
    client, org_a, org_b, admin_a
):
    """The account is shared: a new address (then "forgotten password") in one organisation
    would hand over the person's access to the other."""
    shared = make_member(org_a, "sam@shared.example", is_learner=True)
    make_member(org_b, "sam@shared.example", is_admin=True)
    only_here = make_member(org_a, "leo@acme.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/{shared.pk}/"
    form = {"name": "Sam", "email": "boss@evil.example", "roles": ["learner"]}
    page = client.post(url, form).content.decode()
    assert "only they can change its name and e-mail address" in page
    shared.user.refresh_from_db()
    assert shared.user.email == "sam@shared.example"
    # Someone who belongs only here can still have their address corrected.
    form = {"name": "Leo", "email": "leo.new@acme.example", "roles": ["learner"]}
    response = client.post(f"/o/{org_a.slug}/people/{only_here.pk}/", form)
    assert response.status_code == 302
    only_here.user.refresh_from_db()
    assert only_here.user.email == "leo.new@acme.example"


def test_the_audit_log_keeps_the_exact_time_beside_how_long_ago(client, org_a, org_b, admin_a):
    org_a.time_zone = "Europe/Paris"
    org_a.save(update_fields=["time_zone"])
    with freeze_time("2026-03-02 10:00:00+00:00"):
        _audit(org_a, admin_a, 1)
    client.force_login(admin_a.user)
    with freeze_time("2026-03-02 12:05:00+00:00"):
        html = client.get(f"/o/{org_a.slug}/audit/").content.decode()
    assert (
        '<time datetime="2026-03-02T11:00:00+01:00">2 Mar 2026, 11:00:00 CET</time><br>'
        '<span class="muted">2 hours ago</span>' in html
    )
    intruder = make_member(org_b, "b-admin@globex.example", is_admin=True)
    client.force_login(intruder.user)
    assert client.get(f"/o/{org_a.slug}/audit/").status_code == 404


def test_a_waiting_invitation_says_when_its_link_expires(client, org_a, org_b, admin_a):
    data = services.PersonData(
        email="newbie@acme.example",
        name="New Bie",
        job_title="",
        function="",
        team=None,
        manager=None,
        roles={"learner"},
    )
    with freeze_time("2026-03-02 10:00:00+00:00"), tenant_context(org_a):
        invitation = services.do_invite_person(admin_a.user, data)
    url = f"/o/{org_a.slug}/people/{invitation.membership_id}/"
    client.force_login(admin_a.user)
    with freeze_time("2026-03-04 10:00:00+00:00"):
        html = client.get(url).content.decode()
    assert ">2 days ago (2 Mar, 10:00)</time>" in html  # sent
    assert 'link expires <time datetime="2026-03-09T10:00:00+00:00"' in html
    assert ">in 5 days (9 Mar, 10:00)</time>" in html
    with freeze_time("2026-03-10 10:00:00+00:00"):
        html = client.get(url).content.decode()
    assert "link expired <time" in html and ">yesterday (9 Mar, 10:00)</time>" in html
    with freeze_time("2026-03-10 10:00:00+00:00"):
        with tenant_context(org_a):
            membership = Membership.objects.get(pk=invitation.membership_id)
            services.do_resend_invitation(admin_a.user, membership)
        html = client.get(url).content.decode()
    # Only the newest link works, so only it has an expiry.
    assert html.count("link expire") == 1 and ">in 7 days (17 Mar, 10:00)</time>" in html
    intruder = make_member(org_b, "b-admin@globex.example", is_admin=True)
    client.force_login(intruder.user)
    assert client.get(url.replace(org_a.slug, org_b.slug)).status_code == 404


def test_the_audit_log_names_rows_instead_of_ids_and_hides_internal_keys(
    client, org_a, org_b, admin_a
):
    from pathways.models import ElectiveGroup, Step
    from tests.conftest import make_pathway

    fixture = make_pathway(org_a, n_steps=2)
    first, second = fixture.steps
    with tenant_context(org_a):
        group = ElectiveGroup.objects.create(version=fixture.version, title="Pick one", choose=1)
        record_change(admin_a.user, "created", group, after={"title": "Pick one", "choose": 1})
        step = Step.objects.get(pk=second.pk)
        record_change(
            admin_a.user,
            "updated",
            step,
            before={"prerequisites": [], "available_offset_days": 0, "key": str(step.key)},
            after={"prerequisites": [first.pk], "available_offset_days": 7, "key": str(step.key)},
        )
        # An entry written before the model named itself.
        record_change(
            admin_a.user,
            "deleted",
            object_type="Elective Group",
            object_id=9,
            object_repr="ElectiveGroup object (9)",
        )
    client.force_login(admin_a.user)
    html = client.get(f"/o/{org_a.slug}/audit/").content.decode()
    assert "ElectiveGroup object" not in html and "Elective Group no. 9" in html
    assert "Pick one" in html
    assert (
        "<dt>prerequisites</dt><dd><del>—</del> → <ins>Leading Through Change module 1</ins>"
        in (html)
    )
    assert "opens (days after the cohort starts)" in html
    assert str(step.key) not in html and "[15]" not in html


def test_the_team_list_pages_searches_and_counts_per_team(client, org_a, org_b, admin_a):
    """Top-level teams by name, 50 a page; a team's sub-teams; a search at every level; each
    row's active members and sub-teams counted for the page's teams only."""
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/teams/"
    with tenant_context(org_a):
        units = Team.objects.bulk_create(
            [Team(organization=org_a, name=f"Unit {i:03d}") for i in range(60)]
        )
    ops = units[0]
    north = _team(org_a, "North desk", parent=ops)
    _team(org_a, "South desk", parent=ops)
    make_member(org_a, "ana@acme.example", team=ops, is_learner=True)
    make_member(org_a, "ben@acme.example", team=ops, is_learner=True)
    gone = make_member(org_a, "gone@acme.example", team=ops, is_learner=True)
    with tenant_context(org_a):
        services.do_deactivate_person(admin_a.user, gone)
    make_member(org_a, "cal@acme.example", team=north, is_learner=True)
    _team(org_b, "Unit 999 Globex")

    first = client.get(url).content.decode()
    assert "60 top-level teams" in first
    assert "Unit 000" in first and "Unit 049" in first and "Unit 050" not in first
    assert "North desk" not in first and "Globex" not in first
    assert f'href="/o/{org_a.slug}/people/?team={ops.pk}">2</a>' in first  # active only
    assert f'href="?parent={ops.pk}">2</a>' in first  # two sub-teams
    second = client.get(url, {"page": 2}).content.decode()
    assert "Unit 050" in second and "Unit 059" in second and "Unit 049" not in second
    assert "51–60 of 60" in second

    inside = client.get(url, {"parent": ops.pk}).content.decode()
    assert "North desk" in inside and "South desk" in inside and "Unit 001" not in inside
    assert f'href="/o/{org_a.slug}/people/?team={north.pk}">1</a>' in inside

    found = client.get(url, {"q": "desk"}).content.decode()
    assert "2 teams' names contain" in found
    assert "North desk" in found and "Unit 001" not in found
    assert f'href="?parent={ops.pk}">Unit 000</a>' in found  # the team it is part of
    assert "No team matches" in client.get(url, {"q": "Globex"}).content.decode()
    partial = client.get(url, {"q": "desk"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="team-results"' in partial and "<html" not in partial

    with tenant_context(org_b):
        globex = Team.objects.get()
    assert client.get(url, {"parent": globex.pk}).status_code == 404
    assert client.get(url, {"parent": "x"}).status_code == 404
    other_admin = make_member(org_b, "admin@globex.example", is_admin=True)
    client.force_login(other_admin.user)
    assert client.get(url).status_code == 404


def test_the_team_list_runs_the_same_queries_for_a_team_with_3_and_60_sub_teams(
    client, org_a, org_b, admin_a
):
    client.force_login(admin_a.user)
    ops = _team(org_a, "Ops")
    counts = []
    for start, stop in ((0, 3), (3, 60)):
        for i in range(start, stop):
            team = _team(org_a, f"Desk {i:02d}", parent=ops)
            make_member(org_a, f"m{i:02d}@acme.example", team=team, is_learner=True)
        with count_queries() as ctx:
            assert client.get(f"/o/{org_a.slug}/teams/", {"parent": ops.pk}).status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_the_people_filters_stay_bounded_in_a_large_organisation(
    client, org_a, org_b, admin_a, monkeypatch
):
    """Beyond ``TEAM_CHOICES_MAX`` teams the filter offers the chosen team only (teams are
    chosen from the teams page), and beyond ``NOT_INVITED_COUNTED`` people not invited the page
    says "more than" instead of counting them all."""
    from organizations.people import queries

    monkeypatch.setattr(queries, "TEAM_CHOICES_MAX", 2)
    monkeypatch.setattr(queries, "NOT_INVITED_COUNTED", 2)
    teams = [_team(org_a, name) for name in ("Alpha", "Beta", "Gamma")]
    for i, team in enumerate(teams):
        make_member(org_a, f"p{i}@acme.example", team=team, is_learner=True, is_active=True)
    with tenant_context(org_a):
        Membership.objects.filter(user__email__startswith="p").update(is_active=True)
        from organizations.models import User

        User.objects.filter(email__startswith="p", email__endswith="@acme.example").update(
            password="!unusable"
        )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    page = client.get(url).content.decode()
    assert "Too many teams to list here" in page
    assert ">Alpha</option>" not in page
    assert "More than 2 people have not been invited yet" in page and "Invite them all" in page
    chosen = client.get(url, {"team": teams[2].pk}).content.decode()
    assert ">Gamma</option>" in chosen and ">Alpha</option>" not in chosen
    assert "p2@acme.example" in chosen and "p0@acme.example" not in chosen
    monkeypatch.setattr(queries, "TEAM_CHOICES_MAX", 100)
    monkeypatch.setattr(queries, "NOT_INVITED_COUNTED", 1000)
    page = client.get(url).content.decode()
    assert ">Alpha</option>" in page and "Too many teams" not in page
    assert "3 people have not been invited yet" in page
    # At the bound exactly, every team is listed; one past it, none (counted along the index).
    with tenant_context(org_a):
        listed = Team.objects.count()
    monkeypatch.setattr(queries, "TEAM_CHOICES_MAX", listed)
    page = client.get(url).content.decode()
    assert all(f">{t.name}</option>" in page for t in teams) and "Too many teams" not in page
    monkeypatch.setattr(queries, "TEAM_CHOICES_MAX", listed - 1)
    page = client.get(url).content.decode()
    assert "Too many teams to list here" in page
    assert not any(f">{t.name}</option>" in page for t in teams)


def test_the_audit_log_pages_newest_first_without_counting_the_log(client, org_a, org_b, admin_a):
    _audit(org_a, admin_a, 55)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/audit/"
    first = client.get(url).content.decode()
    assert 'rel="next"' in first and "1–50 · page 1" in first
    assert "More than 50 entries" in first  # not counted while more pages follow
    assert "Person 54</span>" in first and "Person 5</span>" in first
    assert "Person 4</span>" not in first
    second = client.get(url, {"page": 2}).content.decode()
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "Person 4</span>" in second and "Person 0</span>" in second
    assert "Person 5</span>" not in second
    assert "55 entries" in second  # the last page knows the total without counting
    filtered = client.get(url, {"action": "updated", "page": 2}).content.decode()
    assert "action=updated&amp;page=1" in filtered and "Person 0</span>" in filtered
