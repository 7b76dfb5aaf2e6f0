"""The people, teams and audit pages read as SQL text: what the SQL must match of the ORM reads
it replaced (search wildcards, statuses, time-zone days, page numbers, the names of referred
rows), the statements each page sends, the drop-downs written in Python, and the indexes of
migration 0017. Two organisations in every test: the other one's rows never show."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.db import connection
from django.utils import timezone

from organizations.audit import record_change
from organizations.listed_fields import ListedSelect
from organizations.models import AuditEntry, Invitation, Membership, Team, User
from organizations.people import queries
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "boss@acme.example", is_admin=True)


def _team(org, name):
    with tenant_context(org):
        return Team.objects.create(name=name)


def _teams(org, names):
    with tenant_context(org):
        Team.objects.bulk_create([Team(organization=org, name=name) for name in names])


def _no_password(*members: Membership) -> None:
    User.objects.filter(pk__in=[m.user_id for m in members]).update(password="!unusable")


def test_the_people_search_takes_wildcards_literally(client, org_a, org_b, admin_a):
    make_member(org_a, "ana_lopez@acme.example", is_learner=True)
    make_member(org_a, "anaxlopez@acme.example", is_learner=True)
    make_member(org_a, "pct100%@acme.example", is_learner=True)
    make_member(org_b, "ana_lopez.globex@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    underscore = client.get(url, {"q": "ana_"}).content.decode()
    assert "ana_lopez@acme.example" in underscore and "anaxlopez" not in underscore
    assert "globex" not in underscore
    percent = client.get(url, {"q": "0%@"}).content.decode()
    assert "pct100%@acme.example" in percent and "ana_lopez" not in percent
    # Case does not matter, in the name as in the address.
    upper = client.get(url, {"q": "ANA_LOPEZ"}).content.decode()
    assert "ana_lopez@acme.example" in upper and "1 person" in upper


def test_the_people_statuses_and_the_not_invited_count(client, org_a, org_b, admin_a):
    waiting = make_member(org_a, "waiting@acme.example", is_learner=True)
    never = make_member(org_a, "never@acme.example", is_learner=True)
    gone = make_member(org_a, "gone@acme.example", is_learner=True, is_active=False)
    elsewhere = make_member(org_b, "never.globex@globex.example", is_learner=True)
    _no_password(waiting, never, gone, elsewhere)
    with tenant_context(org_a):
        Invitation.objects.create(
            membership=waiting, email=waiting.user.email, sent_at=timezone.now()
        )
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    page = client.get(url).content.decode()
    assert "1 person has not been invited yet" in page  # not the invited, gone or other one
    shown = {
        status: client.get(url, {"status": status}).content.decode()
        for status in ("active", "invited", "not_invited", "deactivated")
    }
    assert "boss@acme.example" in shown["active"] and "never@" not in shown["active"]
    assert "waiting@" in shown["invited"] and "never@" not in shown["invited"]
    assert "never@acme.example" in shown["not_invited"] and "waiting@" not in shown["not_invited"]
    assert "gone@acme.example" in shown["deactivated"] and "boss@" not in shown["deactivated"]
    assert all("globex" not in html for html in shown.values())
    assert 'badge badge--draft">Not invited yet</span>' in shown["not_invited"]
    assert 'badge badge--info">Invited</span>' in shown["invited"]


def test_the_people_page_sends_two_statements_of_its_own(client, org_a, org_b, admin_a):
    """Besides the request's own three (the session with its account, the organisation, the
    membership): its fixed reads and its list, whatever the filters (the chosen team among
    many comes along with the fixed reads)."""
    team = _team(org_a, "Ops")
    make_member(org_a, "ana@acme.example", team=team, is_learner=True)
    make_member(org_b, "ben@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    client.get(url)
    for params in ({}, {"q": "ana", "team": team.pk, "status": "not_invited", "role": "coach"}):
        with count_queries() as ctx:
            assert client.get(url, params).status_code == 200
        own = [q for q in ctx.app_queries if q["sql"].lstrip().startswith(("SELECT p.", "WITH"))]
        assert len(own) == 2 and len(ctx.app_queries) == 5


def test_the_people_pages_bounds_are_in_the_statements_text(
    client, org_a, org_b, admin_a, monkeypatch
):
    """Not parameters: the statement is prepared on its fifth use, and a plan made without
    knowing the limit sorts every member (so PostgreSQL plans it again on every request)."""
    monkeypatch.setattr(queries, "PEOPLE_PER_PAGE", 2)
    for i in range(4):
        make_member(org_a, f"p{i}@acme.example", is_learner=True)
    make_member(org_b, "ben@globex.example", is_learner=True)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/people/"
    sent: list[str] = []

    def keep(execute, sql, params, many, context):
        sent.append(sql)  # the text as sent, its parameters apart
        return execute(sql, params, many, context)

    for params, bounds in (
        ({}, "LIMIT 3 OFFSET 0"),
        ({"page": 2, "q": "acme"}, "LIMIT 3 OFFSET 2"),
    ):
        sent.clear()
        with connection.execute_wrapper(keep):
            page = client.get(url, params).content.decode()
        [listed] = [sql for sql in sent if sql.lstrip().startswith("SELECT p.")]
        assert bounds in " ".join(listed.split())
        assert "5 people" in page and "globex" not in page


def test_the_team_list_shows_the_last_page_for_a_number_past_the_end(client, org_a, org_b, admin_a):
    _teams(org_a, [f"Unit {i:03d}" for i in range(55)])
    _team(org_b, "Unit 999 Globex")
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/teams/"
    for number in ("9", "0", "-3"):
        html = client.get(url, {"page": number}).content.decode()
        assert "Unit 054" in html and "Unit 049" not in html and "51–55 of 55" in html
    for number in ("abc", "1.5", ""):
        html = client.get(url, {"page": number}).content.decode()
        assert "Unit 000" in html and "Unit 050" not in html
    assert "Globex" not in client.get(url, {"q": "Unit"}).content.decode()


def test_the_team_search_takes_wildcards_literally(client, org_a, org_b, admin_a):
    for name in ("R&D_lab", "RxDxlab", "100% sales"):
        _team(org_a, name)
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/teams/"
    found = client.get(url, {"q": "d_l"}).content.decode()
    assert "R&amp;D_lab" in found and "RxDxlab" not in found
    assert "1 team's name contains" in found
    assert "100% sales" in client.get(url, {"q": "0% s"}).content.decode()


def test_the_team_list_sends_one_statement_of_its_own(client, org_a, org_b, admin_a):
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/teams/"
    counts = []
    for n in (3, 60):
        _teams(org_a, [f"T{n}-{i:02d}" for i in range(n)])
        with count_queries() as ctx:
            client.get(url)
        counts.append([q["sql"] for q in ctx.app_queries if "SELECT c.n" in q["sql"]])
    assert [len(c) for c in counts] == [1, 1]


def _entry(org, actor, when, **fields):
    with tenant_context(org):
        entry = record_change(actor, fields.pop("action", "updated"), **fields)
        AuditEntry.objects.filter(pk=entry.pk).update(created_at=when)
    return entry


def test_the_audit_days_are_the_organisations_days(client, org_a, org_b, admin_a):
    """A day filter keeps what happened on those days in the organisation's time zone (Paris:
    00:30 on 2 March is 23:30 UTC on 1 March)."""
    org_a.time_zone = "Europe/Paris"
    org_a.save(update_fields=["time_zone"])
    utc = dt.UTC
    _entry(org_a, admin_a.user, dt.datetime(2026, 3, 1, 22, 30, tzinfo=utc), object_repr="Early")
    _entry(org_a, admin_a.user, dt.datetime(2026, 3, 1, 23, 30, tzinfo=utc), object_repr="Late")
    _entry(org_a, admin_a.user, dt.datetime(2026, 3, 2, 22, 59, tzinfo=utc), object_repr="Eve")
    _entry(org_a, admin_a.user, dt.datetime(2026, 3, 2, 23, 0, tzinfo=utc), object_repr="Next")
    other = make_member(org_b, "b-admin@globex.example", is_admin=True)
    _entry(org_b, other.user, dt.datetime(2026, 3, 2, 12, 0, tzinfo=utc), object_repr="Globex")
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/audit/"
    html = client.get(url, {"date_from": "2026-03-02", "date_to": "2026-03-02"}).content.decode()
    assert "Late" in html and "Eve" in html
    assert "Early" not in html and "Next" not in html and "Globex" not in html
    # The calendar's ends filter nothing out and break nothing.
    wide = client.get(url, {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert wide.status_code == 200 and "4 entries" in wide.content.decode()


def test_the_audit_page_names_every_kind_of_row_in_one_statement(client, org_a, org_b, admin_a):
    from pathways.models import Step
    from tests.conftest import make_pathway

    fixture = make_pathway(org_a, n_steps=2)
    first = fixture.steps[0]
    team = _team(org_a, "Ops")
    with tenant_context(org_a):
        untitled = Step.objects.create(
            version=fixture.version, kind=Step.Kind.COACHING, position=9, title=""
        )
        record_change(
            admin_a.user,
            "updated",
            object_type="Cohort",
            object_repr="A cohort",
            before={"version": None, "team": None},
            after={"version": fixture.version.pk, "team": team.pk, "steps": [untitled.pk]},
        )
        record_change(
            admin_a.user,
            "updated",
            object_type="Step",
            object_repr="A step",
            before={"prerequisites": []},
            after={"prerequisites": [first.pk, 987654]},
        )
    client.force_login(admin_a.user)
    with count_queries() as ctx:
        html = client.get(f"/o/{org_a.slug}/audit/").content.decode()
    named = [q for q in ctx.app_queries if "UNION ALL" in q["sql"] and "pathways_step" in q["sql"]]
    assert len(named) == 1
    assert "<ins>Leading Through Change v1</ins>" in html
    assert "<ins>Ops</ins>" in html
    assert "<dt>steps</dt><dd>Coaching conversation</dd>" in html  # no title: its kind
    assert "Leading Through Change module 1, a deleted item" in html
    # The same names as the rows' own ``str()``.
    with tenant_context(org_a):
        names = queries.reference_names([{"steps": [first.pk, untitled.pk], "version": 0}])
        names_b = queries.reference_names([{"team": team.pk, "version": fixture.version.pk}])
        steps = {s.pk: str(s) for s in Step.objects.filter(pk__in=[first.pk, untitled.pk])}
        version = str(type(fixture.version).objects.get(pk=fixture.version.pk))
    assert names["pathways.Step"] == steps and names["pathways.PathwayVersion"] == {}
    assert names_b == {
        "organizations.Team": {team.pk: "Ops"},
        "pathways.PathwayVersion": {fixture.version.pk: version},
    }
    with tenant_context(org_b):
        assert queries.reference_names([{"team": team.pk}]) == {"organizations.Team": {}}


def test_the_audit_choices_list_who_by_name_in_one_statement(client, org_a, org_b, admin_a):
    zoe = make_member(org_a, "zoe@acme.example", is_admin=True)
    zoe.user.full_name = "Aaron Zoe"
    zoe.user.save(update_fields=["full_name"])
    now = timezone.now()
    _entry(org_a, admin_a.user, now, object_type="Team", action="created")
    _entry(org_a, zoe.user, now, object_type="Person", action="updated")
    _entry(org_a, None, now, object_type="Person", action="imported")
    other = make_member(org_b, "b-admin@globex.example", is_admin=True)
    _entry(org_b, other.user, now, object_type="Globex thing", action="exported")
    with tenant_context(org_a):
        with count_queries() as ctx:
            choices = queries.audit_choices()
    assert len(ctx.app_queries) == 1
    assert choices.actors == [(zoe.user.pk, "Aaron Zoe"), (admin_a.user.pk, "Boss")]
    assert choices.object_types == ["Person", "Team"]
    assert choices.actions == ["created", "imported", "updated"]


def test_the_audit_choices_are_the_logs_distinct_values_up_to_the_most(
    monkeypatch, org_a, org_b, admin_a
):
    """Each index skip (actor, object type, action) lists what the ORM's ``distinct()`` lists,
    cut at ``AUDIT_CHOICES_MAX`` values each."""
    people = [admin_a.user] + [
        make_member(org_a, f"p{i}@acme.example", is_learner=True).user for i in range(4)
    ]
    now = timezone.now()
    for i in range(12):
        _entry(org_a, people[i % 5], now, object_type=f"Type {i % 4}", action=f"act{i % 3}")
    _entry(org_a, None, now, object_type="Type 9", action="imported")
    other = make_member(org_b, "b-admin@globex.example", is_admin=True)
    _entry(org_b, other.user, now, object_type="Globex thing", action="exported")

    def distinct(column: str, most: int) -> list:
        values = AuditEntry.objects.exclude(**{f"{column}__isnull": True}).order_by(column)
        return list(values.values_list(column, flat=True).distinct()[:most])

    for most in (queries.AUDIT_CHOICES_MAX, 2):
        monkeypatch.setattr(queries, "AUDIT_CHOICES_MAX", most)
        with tenant_context(org_a):
            with count_queries() as ctx:
                choices = queries.audit_choices()
            actors = distinct("actor_id", most)
            names = {u.pk: u.full_name or u.email for u in User.objects.filter(pk__in=actors)}
            assert sorted(pk for pk, _name in choices.actors) == actors
            assert choices.actors == sorted(((pk, names[pk]) for pk in actors), key=lambda a: a[1])
            assert choices.object_types == distinct("object_type", most)
            assert choices.actions == distinct("action", most)
        assert len(ctx.app_queries) == 1
    assert "Globex thing" not in choices.object_types


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        ([("", "Any"), (1, "Ops & Sales"), (2, '"Quoted" <team>')], "2", {"id": "id_team"}),
        ([("", "Any"), ("a", "A")], "", {"id": "id_x", "aria-describedby": "id_x_helptext"}),
        ([("", "Any"), ("a", "A"), ("a", "A again")], "a", {"id": "id_x", "aria-invalid": True}),
        ([("", "Any"), ("Group", [("g1", "One"), ("g2", "Two")])], "g2", {"id": "id_g"}),
        ([], None, {"id": "id_empty", "disabled": False}),
    ],
)
def test_the_listed_select_writes_what_djangos_select_writes(choices, value, attrs):
    ours = ListedSelect(choices=choices).render("name", value, attrs=dict(attrs))
    django_select = forms.Select(choices=choices).render("name", value, attrs=dict(attrs))
    assert str(ours) == str(django_select)


def test_the_migration_indexes_the_people_search(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "organizations_user")
    assert "user_no_password" in constraints
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            if cursor.fetchone():
                assert {"user_full_name_trgm", "user_email_trgm"} <= set(constraints)


@pytest.mark.parametrize("value", [None, "", 'a "quoted" <b> & c', 42])
def test_the_listed_inputs_write_what_djangos_inputs_write(value):
    from organizations.listed_fields import ListedDateInput, ListedTextInput

    attrs = {"id": "id_q", "maxlength": "200", "aria-invalid": True, "disabled": False}
    assert str(ListedTextInput().render("q", value, attrs=dict(attrs))) == str(
        forms.TextInput().render("q", value, attrs=dict(attrs))
    )
    date = dt.date(2026, 3, 2) if value == 42 else value
    ours = ListedDateInput(attrs={"type": "date"}).render("d", date, attrs={"id": "id_d"})
    theirs = forms.DateInput(attrs={"type": "date"}).render("d", date, attrs={"id": "id_d"})
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("value", [None, "", True, False, "on", "true", 'a "b" <c>'])
def test_the_listed_check_box_writes_what_djangos_check_box_writes(value):
    """The project lists' "only late" box: checked, unchecked and a value of its own."""
    from organizations.listed_fields import ListedCheckboxInput

    attrs = {"id": "id_late", "aria-describedby": "x"}
    ours = ListedCheckboxInput().render("late", value, attrs=dict(attrs))
    assert str(ours) == str(forms.CheckboxInput().render("late", value, attrs=dict(attrs)))


def test_the_project_filters_are_what_djangos_widgets_wrote(client, org_a, org_b, admin_a):
    """The project list's filter, drawn with the listed widgets, against Django's own."""
    from projects.forms import ProjectFilterForm

    class Django(ProjectFilterForm):
        q = forms.CharField(label="Search titles", required=False)
        status = forms.ChoiceField(label="Status", required=False)
        late = forms.BooleanField(label="Only with late milestones", required=False)

    for data in (None, {"q": 'x "y" <z>', "status": "running", "late": "on"}, {"late": ""}):
        ours, theirs = ProjectFilterForm(data), Django(data)
        for name in ("q", "status", "late"):
            assert str(ours[name]) == str(theirs[name])


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"date_from": "2026-02-02", "date_to": "2026-01-01", "actor": "7", "action": "x"},
        {"date_from": "not a date", "object_type": "Person"},
    ],
)
def test_a_listed_field_is_what_the_field_include_writes(data):
    """``form.listed`` against ``includes/field.html`` for every field, with and without
    errors, help text and a required mark."""
    from django.template.loader import get_template

    from organizations.people.forms import AuditFilterForm, PeopleFilterForm

    include = get_template("includes/field.html")
    audit = AuditFilterForm(
        data,
        choices=queries.AuditChoices(
            actors=[(7, "Zoë & co")], object_types=["Person"], actions=["x"]
        ),
    )
    people = PeopleFilterForm(
        data and {"q": '<script>"', "team": "x"},
        choices=queries.FilterChoices(teams=[(1, "Ops")], functions=["Sales"], many_teams=True),
    )
    people.fields["q"].required = True  # the required mark, which no filter has yet
    for form in (audit, people):
        form.is_valid()
        for name in form.fields:
            assert form.listed[name] == include.render({"field": form[name]})


@pytest.mark.parametrize(
    ("moment", "zone"),
    [
        (dt.datetime(2026, 3, 2, 10, 0, 5, 123456, tzinfo=dt.UTC), "Europe/Paris"),
        (dt.datetime(2026, 7, 9, 23, 59, 59, tzinfo=dt.UTC), "Europe/Paris"),
        (dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC), "Europe/Paris"),  # 02:30, twice
        (dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC), "Europe/Paris"),
        (dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC), "Asia/Kolkata"),
        (dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC), "UTC"),
    ],
)
def test_the_audit_times_are_what_the_date_filter_writes(moment, zone):
    import zoneinfo

    from django.template.defaultfilters import date as date_filter

    from organizations.people.tables import exact_moment

    local = timezone.localtime(moment, zoneinfo.ZoneInfo(zone))
    with timezone.override(zone):
        shown = timezone.template_localtime(moment)  # what a template hands its filters
        assert exact_moment(local) == date_filter(shown, "j M Y, H:i:s T")
        assert local.isoformat() == date_filter(shown, "c")


def test_a_listed_field_is_drawn_when_the_page_asks_for_it(db):
    """``form.listed`` draws a field the first time the page shows it (once), not every
    field of the form; a name the form does not have is not found, as in a dict."""
    from django.template import Context, Template

    from organizations.people.forms import AuditFilterForm

    choices = queries.AuditChoices(actors=[(7, "Ana <Lopez>")], object_types=[], actions=[])
    form = AuditFilterForm(None, choices=choices)
    assert dict(form.listed) == {}
    shown = Template("{{ form.listed.actor }}|{{ form.listed.nothing }}").render(
        Context({"form": form})
    )
    assert "Ana &lt;Lopez&gt;" in shown and shown.endswith("|")
    assert list(form.listed) == ["actor"]
    assert form.listed["actor"] is form.listed["actor"]
    with pytest.raises(KeyError):
        form.listed["nothing"]
