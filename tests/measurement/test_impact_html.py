"""The impact page's content put together in Python (``measurement.impact_page.page_html``):
the same HTML as the template wrote (tests/measurement/templates_before.py) with the context
the view gave it, in every shape the page takes (no cohort with a plan, no teams, teams hidden
below the anonymity threshold, suppressed competencies, several cohorts, empty and full
tables) and names to escape, in two languages and a time zone other than UTC."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from measurement import charts, impact_page, queries
from measurement.queries import (
    CohortChoice,
    CohortImpact,
    CompetencyChange,
    GroupPoint,
    Level,
    MetricResult,
    SponsorImpact,
    TeamCompletion,
    TeamCompletionReport,
)
from tests.measurement import impact_parts_before, templates_before

SLUG = "acme-t"
NASTY = "<b>&\"'"


def _before(page: SponsorImpact, report: TeamCompletionReport, org_slug: str) -> str:
    """The content block as the template rendered it, with the context the view gave it."""
    impact = page.selected
    context: dict[str, Any] = {
        "org": SimpleNamespace(slug=org_slug),
        "page": page,
        "impact": impact,
        "report": report,
        "figure": charts.team_completion_figure(report),
        "team_rows": impact_parts_before.team_rows(report),
        "progress_downloads": impact_parts_before.table_downloads("table=progress"),
        "min_cell": queries.MIN_CELL_SIZE,
    }
    if impact is not None:
        figures = [
            (m, charts.metric_figure(m, queries.start_of(impact)), f"metric-{m.metric_id}")
            for m in impact.metrics
        ]
        context.update(
            level_downloads=impact_parts_before.table_downloads(f"cohort={impact.id}&table=levels"),
            behaviour_downloads=impact_parts_before.table_downloads(
                f"cohort={impact.id}&table=behaviour"
            ),
            metric_cards=impact_parts_before.metric_cards(impact, figures, org_slug),
            level_rows=impact_parts_before.level_rows(impact),
            behaviour_rows=impact_parts_before.behaviour_rows(impact, queries.MIN_CELL_SIZE),
            benefit_rows=impact_parts_before.benefit_rows(impact, org_slug),
            cost_rows=impact_parts_before.cost_rows(impact),
            behaviour_figure=charts.behaviour_figure(impact.behaviour),
            roi_figure=charts.roi_figure(impact),
        )
    return Template(templates_before.SPONSOR_HOME).render(Context(context))


def _metric(metric_id: int, name: str, **changes: Any) -> MetricResult:
    metric = MetricResult(
        metric_id=metric_id,
        name=name,
        unit="%",
        level="team",
        higher_is_better=False,
        did={
            "estimate": -3.0,
            "ci_low": -4.125,
            "ci_high": -1.875,
            "naive": -4.0,
            "treated_pre": 15.0,
            "treated_post": 11.0,
            "comparison_pre": 14.0,
            "comparison_post": 13.0,
        },
        pre_post=None,
        pre_trend={"parallel": True},
        too_few="",
        money=Decimal("425250.00"),
        naive_money=Decimal("576731.00"),
        participant_teams=6,
        comparison_teams=8,
        values=140,
        series=[
            GroupPoint(dt.date(2026, 1, 1), "participants", 6, 15.0),
            GroupPoint(dt.date(2026, 1, 1), "comparison", 8, 14.5),
        ],
    )
    return dataclasses.replace(metric, **changes)


_SHOWN = CompetencyChange(NASTY, 6, False, "", 0.125, 0.05, 0.2, 0.4, 0.5, 2)
_HIDDEN = CompetencyChange("Feedback", 4, True, "", None, None, None, None, None, 0)
_FEW = CompetencyChange(
    "Coaching & <co>", 5, False, "too few <pairs>", None, None, None, None, None, 0
)


def _impact(**changes: Any) -> CohortImpact:
    full = CohortImpact(
        id=3,
        name=f"Spring {NASTY}",
        start_date=dt.date(2026, 1, 5),
        currency="EUR",
        participants=40,
        has_comparison=True,
        comparison_label="Service teams "
        + NASTY
        + " and a label far longer than seventy characters in all",
        plan_changed_on="2026-03-02",
        costs=Decimal("460000.00"),
        benefits=Decimal("880000.50"),
        bcr=1.914,
        roi_pct=91.4,
        payback_months=6.25,
        computed_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),
        levels=[
            Level("1", "Reaction", f"rated 4 of 5 {NASTY}", "12 ratings", "levels"),
            Level("ROI", "Return", "91 %", "40 learners", "roi"),
        ],
        behaviour=[_SHOWN, _HIDDEN, _FEW],
        metrics=[
            _metric(7, f"Turnover {NASTY}"),
            _metric(
                8,
                "Sales",
                unit="EUR",
                did=None,
                pre_post={"pre": 1.5, "post": 2.25, "change": 0.75},
                money=None,
                series=[],
            ),
            _metric(9, "Errors", did=None, too_few=f"only 2 teams {NASTY}", series=[]),
            _metric(10, "Churn", money=None, pre_trend={"parallel": False}),
            _metric(11, "Absence", pre_trend={"too_few": "3 months <only>"}),
        ],
        benefit_rows=[
            {
                "label": f"Claims {NASTY}",
                "source": "participants' estimates",
                "facts": {"respondents": 29, "participants": 40, "excluded": 2},
                "gross": "120000.00",
                "value": "60000.00",
            },
            {
                "label": "Turnover",
                "source": "comparison group (difference-in-differences)",
                "facts": {"metric_id": 7},
                "gross": "500000.00",
                "value": "425250.00",
            },
        ],
        cost_rows=[
            {
                "label": f"Coaching {NASTY}",
                "description": "external <coaches>",
                "shared_by": 3,
                "amount": "30000.00",
                "allocated": "10000.00",
            },
            {
                "label": "Venue",
                "description": "",
                "shared_by": 1,
                "amount": "5000.00",
                "allocated": "5000.00",
            },
        ],
        claims=[],
        intangibles=[f"trust {NASTY}", "retention"],
        evaluation=["2026-01-01", "2026-12-31"],
    )
    return dataclasses.replace(full, **changes)


_EMPTY = _impact(
    participants=1,
    has_comparison=False,
    plan_changed_on=None,
    bcr=None,
    roi_pct=None,
    payback_months=None,
    levels=[],
    behaviour=[],
    metrics=[],
    benefit_rows=[],
    cost_rows=[],
    intangibles=[],
)

_COHORTS = [
    CohortChoice(3, f"Spring {NASTY}", dt.date(2026, 1, 5), True),
    CohortChoice(4, "Autumn", dt.date(2026, 9, 1), True),
    CohortChoice(5, "Later, no plan", dt.date(2026, 10, 1), False),
]

_PAGES = {
    "no impact": SponsorImpact(cohorts=[], selected=None),
    "no plan yet": SponsorImpact(cohorts=_COHORTS[2:], selected=None),
    "full, several cohorts": SponsorImpact(cohorts=_COHORTS, selected=_impact()),
    "other cohort chosen": SponsorImpact(cohorts=_COHORTS, selected=_impact(id=4)),
    "empty, one cohort": SponsorImpact(cohorts=_COHORTS[:1], selected=_EMPTY),
    "only hidden competencies": SponsorImpact(
        cohorts=_COHORTS[1:],
        selected=_impact(behaviour=[_HIDDEN, _FEW], benefit_rows=[], intangibles=[]),
    ),
    "costs without benefits": SponsorImpact(
        cohorts=_COHORTS, selected=_impact(benefit_rows=[], metrics=[_metric(7, "Only")])
    ),
    "benefits without costs": SponsorImpact(cohorts=_COHORTS, selected=_impact(cost_rows=[])),
}

_TEAMS = [
    TeamCompletion(f"Sales {NASTY}", 7, 2, 0.505),
    TeamCompletion("R&D", 12, 12, 1.0),
    TeamCompletion("Ops", 5, 0, 0.0),
]
_REPORTS = {
    "no teams": TeamCompletionReport(period=None, teams=[], hidden_teams=0, computed_at=None),
    "all hidden": TeamCompletionReport(
        period=dt.date(2026, 11, 1),
        teams=[],
        hidden_teams=3,
        computed_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),
    ),
    "one hidden": TeamCompletionReport(
        period=dt.date(2026, 11, 1),
        teams=_TEAMS,
        hidden_teams=1,
        computed_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),
    ),
    "two hidden": TeamCompletionReport(
        period=dt.date(2026, 11, 1),
        teams=_TEAMS[:1],
        hidden_teams=2,
        computed_at=dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC),
    ),
    "none hidden": TeamCompletionReport(
        period=dt.date(2026, 11, 1),
        teams=_TEAMS,
        hidden_teams=0,
        computed_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),
    ),
}


@pytest.mark.parametrize("language", ["en-gb", "de"])
@pytest.mark.parametrize("page_shape", list(_PAGES))
@pytest.mark.parametrize("report_shape", list(_REPORTS))
def test_the_impact_page_is_what_its_template_wrote(language, page_shape, report_shape):
    page, report = _PAGES[page_shape], _REPORTS[report_shape]
    with translation.override(language), timezone.override("Europe/Berlin"):
        expected = _before(page, report, SLUG)
        assert str(impact_page.page_html(page, report, SLUG)) == expected


def test_the_words_follow_the_active_language():
    page, report = _PAGES["no impact"], _REPORTS["no teams"]
    with translation.override("en-gb"):
        english = impact_page.page_html(page, report, SLUG)
    with translation.override("de"):
        german = impact_page.page_html(page, report, SLUG)
    assert "No impact figures yet" in english and "No impact figures yet" in german
    with translation.override("de"):
        german_words = impact_page._words()
        assert impact_page._words() is german_words  # kept for the catalogue
    with translation.override("en-gb"):
        assert impact_page._words() is not german_words


_NUMBERS = [
    0,
    7,
    -3,
    1234567,
    0.0,
    -0.004,
    0.005,
    1.5,
    -4.125,
    2.675,
    91.4,
    1e-7,
    1.5e20,
    float("nan"),
    float("inf"),
    Decimal("0"),
    Decimal("880000.50"),
    Decimal("-1234.5"),
    Decimal("1E+3"),
    Decimal("-0.00"),
    Decimal("-0.001"),
    Decimal("12345.6789"),
    -0.001,
    0.995,
    999999.995,
    -1234567.891,
    123.0,
    Decimal("576731.00"),
    "30000.00",
    "12.5",
    "abc",
    "",
    None,
    True,
    1,
    1.0,
    Decimal("1.0"),
    Decimal("1E+300"),
    Decimal("1" + "0" * 300),  # equal to the one before, written otherwise
    10**300,
]


@pytest.mark.parametrize("language", ["en-gb", "de", "fr"])
@pytest.mark.parametrize("arg", [0, 1, 2, -1, -2, "0g", "2g", "g", "2u", "x", 3])
def test_numbers_are_what_floatformat_writes(language, arg):
    from django.template.defaultfilters import floatformat

    with translation.override(language):
        number = impact_page.numbers(translation.get_language())
        for value in _NUMBERS:
            assert number(value, arg) == floatformat(value, arg), (value, arg)
        # Written again from those kept (equal values of other types or texts apart).
        again = impact_page.numbers(translation.get_language())
        for value in _NUMBERS:
            assert again(value, arg) == floatformat(value, arg), (value, arg)


@pytest.mark.parametrize("grouping", [3, 2, (3, 2, 0), (2, 0), (3, 1)])
@pytest.mark.parametrize("sep", [",", "\xa0", "'"])
def test_digits_group_as_numberformat_does(grouping, sep):
    from django.utils import numberformat

    for digits in ("0", "7", "12", "123", "1234", "123456", "1234567", "12345678901234567890"):
        expected = numberformat.format(digits, ".", 0, grouping, sep, force_grouping=True)
        assert impact_page._grouped(digits, grouping, sep) == expected, digits


def test_numbers_group_when_the_settings_say_so(settings):
    from django.template.defaultfilters import floatformat

    settings.USE_THOUSAND_SEPARATOR = True
    for language in ("en-gb", "de"):
        with translation.override(language):
            number = impact_page.numbers(language)
            for value in _NUMBERS:
                for arg in (0, 2, "0g", -1):
                    assert number(value, arg) == floatformat(value, arg), (value, arg)


@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_a_label_is_cut_as_truncatechars_cuts_it(language):
    from django.template.defaultfilters import truncatechars

    labels = ["", "short", "x" * 70, "x" * 71, "e\u0301" * 70, "e\u0301" * 71, NASTY * 20]
    with translation.override(language):
        for label in labels:
            assert impact_page._truncated(label, 70) == truncatechars(label, 70), label


@pytest.fixture
def marked_catalogue(monkeypatch):
    """A catalogue that translates every message id into itself in brackets, its doubled
    percent signs doubled again: a page whose words were looked up by other message ids than
    the template's (percent signs included) reads otherwise."""
    from django.utils.translation import trans_real

    from organizations import words

    def forget():
        # The catalogues' kept words, a store of the test's own (the page keeps its words there).
        monkeypatch.setattr(words, "_kept", {})

    gettext, ngettext = trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext
    monkeypatch.setattr(
        trans_real.DjangoTranslation,
        "gettext",
        lambda self, msg: f"[{gettext(self, msg)}]".replace("%%", "%%%%"),
    )
    monkeypatch.setattr(
        trans_real.DjangoTranslation,
        "ngettext",
        lambda self, s, p, n: f"[{ngettext(self, s, p, n)}]",
    )
    forget()
    yield
    forget()


@pytest.mark.parametrize(
    "page_shape",
    ["no impact", "full, several cohorts", "empty, one cohort", "only hidden competencies"],
)
@pytest.mark.parametrize("report_shape", ["no teams", "one hidden", "two hidden"])
def test_the_page_looks_its_words_up_by_the_templates_message_ids(
    marked_catalogue, page_shape, report_shape
):
    page, report = _PAGES[page_shape], _REPORTS[report_shape]
    with translation.override("de"):
        expected = _before(page, report, SLUG)
        assert "[Programme progress by team]" in expected
        assert str(impact_page.page_html(page, report, SLUG)) == expected
