"""The cohort page's widgets written in Python give the HTML Django's templates give."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

from organizations.listed_fields import ListedEmailInput, ListedSelect, ListedTextInput
from pathways.cohorts.forms import FlatChoices, LearnerFilterForm, StaffForm
from pathways.cohorts.queries import Choices

ATTRS = [
    {"id": "id_x"},
    {"maxlength": "200", "required": True, "id": "id_x", "aria-describedby": "id_x_helptext"},
    {"disabled": False, "data-note": 'a "quoted" <b>&</b>', "id": "id_x"},
]


@pytest.mark.parametrize("value", [None, "", "manager", 'a "b" <c> & d', 42])
@pytest.mark.parametrize("attrs", ATTRS)
def test_the_listed_inputs_write_what_djangos_inputs_write(value, attrs):
    assert ListedTextInput().render("job_title", value, attrs) == forms.TextInput().render(
        "job_title", value, attrs
    )
    assert ListedEmailInput().render("email", value, attrs) == forms.EmailInput().render(
        "email", value, attrs
    )


@pytest.mark.parametrize("value", [None, "", "coach", "x<y>", ["coach"]])
@pytest.mark.parametrize("attrs", ATTRS)
def test_the_listed_select_writes_what_djangos_select_writes(value, attrs):
    choices = [("", "Any"), ("admin", "HR admin"), ("coach", "Coach & <co>"), ("x<y>", "Odd")]
    ours, django = ListedSelect(choices=choices), forms.Select(choices=choices)
    assert ours.render("role", value, attrs) == django.render("role", value, attrs)


@pytest.mark.parametrize("value", [None, "", 2, "2", "R&D", "a\x00<b>"])
def test_the_cohort_pages_lists_write_what_djangos_select_writes(value):
    """The teams', functions' and people's lists (flat choices, ids or texts to escape) are the
    shared ``ListedSelect``: Django's markup, the chosen option marked."""
    teams = FlatChoices([("", "Any"), (1, "Ops <&> Co"), (2, 'The "B" team'), (3, "Plain")])
    functions = FlatChoices([("", "Any"), ("R&D", "R&D"), ("a\x00<b>", "a\x00<b>")])
    for choices in (teams, functions):
        ours = ListedSelect(choices=choices).render("team", value, {"id": "id_team"})
        django = forms.Select(choices=list(choices)).render("team", value, {"id": "id_team"})
        assert ours == django
    assert '<option value="2" selected>The &quot;B&quot; team</option>' in ListedSelect(
        choices=teams
    ).render("team", 2, {})
    form = LearnerFilterForm(choices=Choices(teams=[(1, "Ops")], functions=[]))
    assert isinstance(form.fields["team"].widget, ListedSelect)
    assert isinstance(form.fields["function"].widget, ListedSelect)


def test_the_forms_validate_against_flat_choices():
    choices = Choices(teams=[(7, "Ops")], functions=["Sales"])
    form = LearnerFilterForm({"team": "7", "function": "Sales", "role": "coach"}, choices=choices)
    assert form.is_valid() and form.cleaned_data["team"] == 7
    assert not LearnerFilterForm({"team": "8"}, choices=choices).is_valid()
    assert not LearnerFilterForm({"function": "Legal"}, choices=choices).is_valid()


def test_the_staff_form_finds_the_person_by_e_mail_and_offers_suggestions_as_one_types(
    org_a, org_b
):
    """The assign form takes the person's e-mail (any capitals), a member of the organisation
    only; its field asks for suggestions as the admin types, into its own list."""
    from organizations.tenancy import tenant_context
    from tests.conftest import make_member

    coach = make_member(org_a, "Coach@A.example", is_coach=True)
    make_member(org_b, "stranger@b.example", is_coach=True)
    with tenant_context(org_a):
        form = StaffForm({"coach-email": " coach@a.EXAMPLE "}, label="Coach", prefix="coach")
        assert form.is_valid() and form.cleaned_data["email"] == coach
        stranger = StaffForm({"coach-email": "stranger@b.example"}, label="Coach", prefix="coach")
        assert not stranger.is_valid()
        assert stranger.errors["email"] == [
            "stranger@b.example is not a member of this organisation."
        ]
        assert not StaffForm({"coach-email": "not an address"}, label="C", prefix="c").is_valid()
    html = str(StaffForm(label="Coach", prefix="coach", people_url="/people/?a=1&b=2")["email"])
    assert html == (
        '<input type="email" name="coach-email" maxlength="320" list="coach-people"'
        ' autocomplete="off" hx-get="/people/?a=1&amp;b=2"'
        ' hx-trigger="focus once, input changed delay:300ms" hx-target="#coach-people"'
        ' hx-sync="this:replace" required aria-describedby="id_coach-email_helptext"'
        ' id="id_coach-email">'
    )
    assert "hx-get" not in str(StaffForm(label="Coach", prefix="coach")["email"])


@pytest.mark.parametrize("zone_name", ["UTC", "Europe/Paris", "America/Los_Angeles"])
def test_the_rows_last_step_is_written_as_the_relative_time_filter_writes_it(zone_name):
    """The learners' table writes "Last step done" itself, once per page's now and zone."""
    import datetime as dt
    import zoneinfo

    from django.utils import timezone
    from freezegun import freeze_time

    from organizations.templatetags.relative_dates import relative_time
    from pathways.cohorts.views import _Moments

    now = dt.datetime(2026, 3, 29, 9, 0, tzinfo=dt.UTC)  # a DST change in Europe
    moments = [now - dt.timedelta(seconds=s) for s in (5, 90, 3 * 3600, 30 * 3600, 9 * 86400)]
    moments += [now - dt.timedelta(days=400), now + dt.timedelta(minutes=10)]
    # Every hour three days either side (a day's words are kept for the page), twice, the
    # second time in another zone than the page's.
    hours = [now + dt.timedelta(hours=h, minutes=7) for h in range(-80, 80)]
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    moments += hours + [moment.astimezone(paris) for moment in hours]
    with freeze_time(now), timezone.override(zoneinfo.ZoneInfo(zone_name)):
        written = _Moments()
        for moment in moments:
            assert written(moment) == relative_time(moment)


def test_the_pages_words_are_translated_once_per_language():
    """The cohort pages' fixed words, kept per catalogue (``organizations.words``): what
    ``gettext`` gives in each language."""
    from django.utils import translation

    from organizations.words import words
    from pathways.cohorts import views

    for language in ("en-gb", "fr", "de"):
        with translation.override(language):
            for message in ("Withdraw", "Add learners", "Coaches"):
                assert views._(message) == translation.gettext(message)
                assert words()[message] == translation.gettext(message)
            days, months = words().kept(views._calendar_words, views._calendar_words)
            assert days[0] == str(WEEKDAYS_ABBR[0]) and months[12] == str(MONTHS_3[12]).title()
            assert views._Moments().days == days
    with translation.override(None):
        assert views._("Withdraw") == "Withdraw"


def test_the_learner_rows_are_what_they_were_in_every_shape(rf):
    """Each kind of row (counted, not started, done, overdue, uncounted, withdrawn, on another
    version, without a team), names and teams that need escaping: the same bytes as before."""
    import datetime as dt

    from django.utils import timezone
    from freezegun import freeze_time

    from pathways.cohorts.queries import LearnerRow
    from pathways.cohorts.views import _learner_table
    from tests.pathways.cohorts.rows_before import learner_table_before

    now = dt.datetime(2026, 3, 29, 9, 0, tzinfo=dt.UTC)
    names = ["Ann", "<b>Bo</b> & \"Cy\" 'Di' 100%", "Ed %(name)s"]
    teams = ["", "Ops <&> Co", "Ops <&> Co", "Sales"]
    shapes = [
        ("active", 3, 10, 0),
        ("active", 0, 10, 0),
        ("active", 10, 10, 0),
        ("completed", 10, 10, 0),
        ("active", 2, 10, 3),
        ("active", 1, 10, 1),
        ("active", None, None, 0),
        ("withdrawn", 4, 10, 0),
        ("withdrawn", 0, 0, 0),
        ("active", 0, 0, 0),
    ]
    rows = [
        LearnerRow(
            enrollment_id=100 + i,
            membership_id=200 + i,
            name=names[i % len(names)],
            email=f"l{i}@a.example" if i % 4 else "o'<x>@a.example",
            team=teams[i % len(teams)],
            status=status,
            status_label=status,
            version=1 + i % 3 // 2,
            steps_done=done,
            steps_total=total,
            steps_overdue=overdue,
            last_activity=None if i % 5 == 0 else now - dt.timedelta(hours=7 * i),
        )
        for i, (status, done, total, overdue) in enumerate(shapes * 3)
    ]
    request = rf.get("/")
    with freeze_time(now), timezone.override(dt.UTC):
        written = _learner_table(request, "acme", 7, 1, rows)
        before = learner_table_before(request, "acme", 7, 1, rows)
    token = 'name="csrfmiddlewaretoken" value="'

    def without_tokens(html: str) -> str:
        return "".join(part[64:] if i else part for i, part in enumerate(html.split(token)))

    assert written.count(token) == 24
    assert without_tokens(written) == without_tokens(before)
    assert without_tokens(_learner_table(request, "acme", 7, 1, [])) == ""


@pytest.mark.parametrize(
    ("count", "number", "show", "q", "rows"),
    [
        (120, 2, "all", "", "<tr>a row</tr>"),
        (3, 1, "overdue", "", "<tr>a row</tr>"),
        (75, 1, "all", "<b>&\"'% x", "<tr>a row</tr>"),
        (0, 1, "all", "", ""),
        (0, 1, "all", "nobody <b>", ""),
        (0, 1, "withdrawn", "", ""),
        (0, 1, "not_started", "", ""),
    ],
)
def test_the_learners_section_is_what_its_template_wrote(count, number, show, q, rows):
    """``views._learners_section``: the bytes of the template's ``learners`` partial, in each
    shape (a table with its pages and downloads, a search or a view that holds nobody)."""
    from django.core.paginator import Paginator
    from django.template import engines
    from django.utils.http import urlencode
    from django.utils.safestring import SafeString

    from pathways.cohorts.views import _learners_section
    from tests.pathways.cohorts.rows_before import LEARNERS_PARTIAL_BEFORE

    page = Paginator(list(range(count)), 50).get_page(number)
    query = urlencode({"show": show, "q": q} if q else {"show": show})
    top, html_rows = SafeString('<section id="cohort-learners">\n  '), SafeString(rows)
    context = {"learners_top": top, "rows": html_rows, "page": page, "show": show, "q": q}
    before = (
        engines["django"].from_string(LEARNERS_PARTIAL_BEFORE).render(context | {"query": query})
    )
    assert _learners_section(top, html_rows, page, show, q, query) == before
