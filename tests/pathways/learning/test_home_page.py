"""The learner's home written in Python (pathways.learning.home_page): the same HTML as the
template's content block it replaced, for a new learner with nothing, due reviews, each kind of
next step (a step, overdue work, the diagnostic, electives, other areas' actions), celebrations,
recommendations and several pathway cards, with names to escape."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from django.template import Context, Template
from django.utils import timezone

from pathways import queries
from pathways.learning import home_page
from pathways.learning.queries import HomeView, NextStep, RecommendationCard, with_card_text
from tests.pathways.learning.test_card_html import _enrollments

# The content block of templates/pathways/learner_home.html as it was.
_CONTENT = (
    "{% load i18n relative_dates %}"
    "\n"
    '<header class="page-header">\n'
    '  <h1 class="page-header__title">{% blocktranslate with name=user.display_name %}Hello, {{ name }}{% endblocktranslate %}</h1>\n'
    '  <p class="page-header__lead">{% translate "Here is the one thing worth doing next." %}</p>\n'
    '  <div class="page-header__actions"><a class="btn btn--link" href="{% url \'learner_growth\' org.slug %}">{% translate "My growth" %}</a><a class="btn btn--link" href="{% url \'learning_history\' org.slug %}">{% translate "Your history" %}</a></div>\n'
    "</header>\n"
    "\n"
    "{% for celebration in home.celebrations %}\n"
    "{% partialdef celebration inline %}\n"
    '<section class="celebrate" role="status">\n'
    '  {% if celebration.kind == "pathway" %}\n'
    "    <h2>{% blocktranslate with pathway=celebration.pathway %}You completed {{ pathway }}!{% endblocktranslate %}</h2>\n"
    '    <p>{% blocktranslate with date=celebration.finished_at|date:"j M" %}Every step done on {{ date }}. Keep the habits going with your reviews.{% endblocktranslate %}</p>\n'
    "  {% else %}\n"
    "    <h2>{% blocktranslate with stage=celebration.title %}{{ stage }}: finished!{% endblocktranslate %}</h2>\n"
    '    <p>{% blocktranslate with pathway=celebration.pathway date=celebration.finished_at|date:"j M" %}You finished this stage of {{ pathway }} on {{ date }}.{% endblocktranslate %}</p>\n'
    "  {% endif %}\n"
    "</section>\n"
    "{% endpartialdef %}\n"
    "{% endfor %}\n"
    "\n"
    "{% with next=home.next_step %}\n"
    "{% if next %}\n"
    '<section class="card card--primary stack" aria-labelledby="next-step-title">\n'
    '  <p class="card__meta">{% if next.kind == "overdue" %}<span class="badge badge--overdue">{% translate "Overdue" %}</span> {% endif %}{{ next.reason }}</p>\n'
    '  <h2 class="card__title" id="next-step-title">{% if next.url %}<a href="{{ next.url }}">{{ next.title }}</a>{% else %}{{ next.title }}{% endif %}</h2>\n'
    "  {% if next.step %}\n"
    '    <p class="muted">{{ next.step.kind_label }}{% if next.step.minutes %} · {% blocktranslate count minutes=next.step.minutes %}{{ minutes }} minute{% plural %}{{ minutes }} minutes{% endblocktranslate %}{% endif %}{% if next.step.due_on and not next.step.overdue %} · {% blocktranslate with when=next.step.due_on|relative_date:"dated" %}due {{ when }}{% endblocktranslate %}{% endif %}</p>\n'
    '    <a class="btn btn--primary btn--large" href="{{ next.url }}">{% if next.step.kind == "module" %}{% translate "Open module" %}{% else %}{% translate "Open step" %}{% endif %}</a>\n'
    '  {% elif next.kind == "diagnostic" %}\n'
    '    <p>{% translate "Rate yourself on each competency of this pathway. It takes two minutes and lets the pathway skip what you already do well." %}</p>\n'
    '    <a class="btn btn--primary btn--large" href="{{ next.url }}">{% translate "Start the self-assessment" %}</a>\n'
    '  {% elif next.kind == "reviews" %}\n'
    '    <p>{% translate "A few quick questions on what you learned, spaced so that it sticks." %}</p>\n'
    '    {% if next.url %}<a class="btn btn--primary btn--large" href="{{ next.url }}">{% translate "Start reviewing" %}</a>{% endif %}\n'
    '  {% elif next.kind == "electives" %}\n'
    '    <p>{% translate "Your pathway lets you choose some of its steps. Pick the ones that fit your work best." %}</p>\n'
    '    <a class="btn btn--primary btn--large" href="{{ next.url }}">{% translate "Choose your electives" %}</a>\n'
    "  {% endif %}\n"
    "</section>\n"
    "{% elif home.enrollments %}\n"
    '<section class="celebrate" role="status"><h2>{% translate "You are all caught up" %}</h2><p>{% translate "Every open step is done. New steps open as your cohort moves on." %}</p></section>\n'
    "{% else %}\n"
    '<div class="empty-state"><h2>{% translate "No pathway yet" %}</h2><p>{% translate "When your HR team enrols you in a programme, its steps appear here, one at a time." %}</p>{% url \'catalogue\' org.slug as catalogue_url %}{% if catalogue_url %}<p><a class="btn btn--secondary" href="{{ catalogue_url }}">{% translate "Browse the modules" %}</a></p>{% endif %}</div>\n'
    "{% endif %}\n"
    "{% endwith %}\n"
    "\n"
    '{% if home.reviews_due and home.next_step.kind != "reviews" %}\n'
    '<p class="card card--muted">{% blocktranslate count n=home.reviews_due %}{{ n }} review due today.{% plural %}{{ n }} reviews due today.{% endblocktranslate %}{% if home.review_url %} <a href="{{ home.review_url }}">{% translate "Review now" %}</a>{% endif %}</p>\n'
    "{% endif %}\n"
    "\n"
    "{% if home.recommendations %}\n"
    '<section class="stack" aria-labelledby="recommended-title">\n'
    '  <h2 id="recommended-title">{% translate "Recommended by colleagues" %}</h2>\n'
    '  <ul class="grid grid--2" role="list">\n'
    "    {% for rec in home.recommendations %}\n"
    '    <li class="card stack" id="recommendation-{{ rec.id }}">\n'
    '      <h3 class="card__title"><a href="{{ rec.module_url }}">{{ rec.module_title }}</a></h3>\n'
    '      <p class="card__meta">{{ rec.from_label }}</p>\n'
    "      {% if rec.note %}<blockquote>{{ rec.note }}</blockquote>{% endif %}\n"
    '      <form method="post" action="{{ rec.dismiss_url }}" hx-post="{{ rec.dismiss_url }}" hx-target="#recommendation-{{ rec.id }}" hx-swap="outerHTML">\n'
    '        {% csrf_token %}<button class="btn btn--link btn--small" type="submit" aria-label="{{ rec.dismiss_label }}">{% translate "Dismiss" %}</button>\n'
    "      </form>\n"
    "    </li>\n"
    "    {% endfor %}\n"
    "  </ul>\n"
    "</section>\n"
    "{% endif %}\n"
    "\n"
    "{% for enrollment in home.enrollments %}{# its links and words: pathways.learning.queries.with_card_text #}\n"
    "{% partialdef enrollment-card inline %}\n"
    '<section class="card stack" id="enrollment-{{ enrollment.id }}" aria-live="polite">\n'
    "  {% if just_finished %}{% with celebration=just_finished %}{% partial celebration %}{% endwith %}{% endif %}\n"
    '  {% if card_error %}<p class="message message--error" role="alert">{{ card_error }}</p>{% endif %}\n'
    "  {{ enrollment.card_html }}{# pathways.learning.queries._card_body #}\n"
    "</section>\n"
    "{% endpartialdef %}\n"
    "{% endfor %}\n"
)

NAME = "Leo <b>&\"'"
TOKEN = "t0k3n"


@dataclass
class _User:
    display_name: str


def _step(**extra: object) -> queries.StepView:
    values: dict[str, object] = {
        "id": 3,
        "key": "k",
        "title": 'Step <3> & "3"',
        "kind": "module",
        "kind_label": "Module",
        "minutes": 10,
        "state": queries.AVAILABLE,
        "reason": "",
        "stage": "",
        "opens_on": None,
    }
    values.update(extra)
    return queries.StepView(**values)  # type: ignore[arg-type]


def _next(kind: str, **extra: object) -> NextStep:
    values: dict[str, object] = {
        "kind": kind,
        "title": "Title <b>&\"'",
        "reason": "Because <b>&\"'",
        "url": "/o/acme/x/?a=1&b=2",
    }
    values.update(extra)
    return NextStep(**values)  # type: ignore[arg-type]


def _recommendations() -> list[RecommendationCard]:
    return [
        RecommendationCard(
            id=i,
            module_id=10 + i,
            module_title=f"Module <{i}> & 'x'",
            module_minutes=5,
            sender="Ben <b>&\"'",
            note=note,
            created_at=timezone.now(),
            module_url=f"/o/acme/learn/modules/{10 + i}/",
            dismiss_url=f"/o/acme/recommendations/{i}/dismiss/",
            from_label="From Ben &lt;b&gt; · 5 min",
            dismiss_label="Dismiss the recommendation of Module &lt;1&gt;",
        )
        for i, note in ((1, 'Worth <it> & "more"'), (2, ""))
    ]


def _celebrations() -> list[queries.Celebration]:
    finished = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    return [
        queries.Celebration("stage", "Stage <1> & 'x'", 'Path "A" & <b>', finished),
        queries.Celebration("pathway", "", 'Path "A" & <b>', finished),
    ]


def _home(**extra: object) -> HomeView:
    values: dict[str, object] = {
        "enrollments": [],
        "next_step": None,
        "reviews_due": 0,
        "review_url": None,
        "celebrations": [],
        "recommendations": [],
    }
    values.update(extra)
    return HomeView(**values)  # type: ignore[arg-type]


def _cards() -> list[queries.EnrollmentView]:
    return with_card_text("acme", _enrollments())


TODAY = timezone.localdate()
SHAPES = {
    "new learner with nothing": _home(),
    "no pathway, reviews due": _home(
        reviews_due=3,
        review_url="/o/acme/practice/",
        next_step=_next("reviews", title="Recall what you learned", url="/o/acme/practice/"),
    ),
    "reviews without a review page": _home(reviews_due=1, next_step=_next("reviews", url=None)),
    "a step with minutes and a due date": _home(
        enrollments=_cards(),
        next_step=_next("step", step=_step(due_on=TODAY + dt.timedelta(days=3))),
        reviews_due=1,
        review_url="/o/acme/practice/",
        celebrations=_celebrations(),
        recommendations=_recommendations(),
    ),
    "overdue step without minutes": _home(
        enrollments=_cards()[:1],
        next_step=_next(
            "overdue",
            step=_step(
                minutes=None, kind="project", due_on=TODAY - dt.timedelta(days=2), overdue=True
            ),
        ),
        reviews_due=2,
    ),
    "diagnostic": _home(enrollments=_cards()[2:3], next_step=_next("diagnostic")),
    "electives": _home(enrollments=_cards()[3:], next_step=_next("electives")),
    "a project milestone": _home(
        enrollments=_cards()[:2], next_step=_next("milestone", url="/o/acme/projects/1/")
    ),
    "a coaching experiment without a link": _home(
        enrollments=_cards()[:1], next_step=_next("experiment", url="")
    ),
    "a 360 nomination": _home(next_step=_next("nominate_raters"), reviews_due=4),
    "all caught up": _home(
        enrollments=_cards(), recommendations=_recommendations()[1:], reviews_due=1
    ),
}


def _both(home: HomeView) -> tuple[str, str]:
    context = Context(
        {"home": home, "user": _User(NAME), "org": {"slug": "acme"}, "csrf_token": TOKEN}
    )
    expected = Template(_CONTENT).render(context)
    return home_page.content_html(home, "acme", NAME, TOKEN), expected


@pytest.mark.parametrize("shape", SHAPES)
def test_the_content_is_what_the_template_wrote(shape):
    built, expected = _both(SHAPES[shape])
    assert built == expected


def test_the_celebration_partial_is_the_templates():
    for celebration in _celebrations():
        built, expected = _both(_home(celebrations=[celebration]))
        assert home_page.celebration_html(celebration) in built
        assert built == expected


def test_the_shapes_reach_every_branch():
    html = "".join(_both(home)[0] for home in SHAPES.values())
    for text in (
        "Hello, Leo &lt;b&gt;&amp;&quot;&#x27;",
        "No pathway yet",
        "Browse the modules",
        "You are all caught up",
        "Start reviewing",
        "2 reviews due today.",
        "1 review due today.",
        "Review now",
        'badge--overdue">Overdue',
        "10 minutes",
        "due <time",
        "Open module",
        "Open step",
        "Start the self-assessment",
        "Choose your electives",
        "Recommended by colleagues",
        "<blockquote>Worth &lt;it&gt; &amp; &quot;more&quot;</blockquote>",
        f'value="{TOKEN}"',
        "You completed Path &quot;A&quot; &amp; &lt;b&gt;!",
        "Stage &lt;1&gt; &amp; &#x27;x&#x27;: finished!",
        'id="enrollment-11"',
        "Title &lt;b&gt;&amp;&quot;&#x27;",
    ):
        assert text in html, text


def test_an_unknown_step_kind_and_no_url_still_match():
    built, expected = _both(_home(next_step=replace(_next("other"), url=None)))
    assert built == expected
