"""The learner's home (``learner_home.html``'s content block) as HTML, built once per page in
Python: the greeting, the celebrations, the one next step, the reviews due, the
recommendations and the pathway cards (whose bodies ``queries.with_card_text`` forms).

The template translated, resolved and reversed in every part, through a partial per
celebration and per card: more Python than the page's reads. Here the same markup comes from
string formatting, with the same message ids (each translated once per catalogue, kept by
``organizations.words``), the same filters and the same escaping (values escaped, the
template's translated literals inserted as it inserted them): byte for byte what the template wrote
(tests/pathways/learning/test_home_page.py holds it to the template's content block). No
queries. The partials stay in the template for the card that htmx swaps in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

from organizations.html_parts import interpolate, value_html
from organizations.page_frame import csrf_input
from organizations.templatetags.relative_dates import relative_date
from organizations.words import Words, words
from pathways.learning.queries import HomeView, NextStep
from pathways.queries import Celebration


def _day_month(value: object) -> str:
    """``|date:"j M"`` of a moment (in the active time zone, as the template's filter)."""
    return str(date_filter(template_localtime(value), "j M"))


def celebration_html(celebration: Celebration) -> str:
    """The ``celebration`` partial."""
    w = words()
    if celebration.kind == "pathway":
        body = (
            "\n    <h2>"
            + interpolate(w["You completed %(pathway)s!"], {"pathway": celebration.pathway})
            + "</h2>\n    <p>"
            + interpolate(
                w["Every step done on %(date)s. Keep the habits going with your reviews."],
                {"date": _day_month(celebration.finished_at)},
            )
            + "</p>\n  "
        )
    else:
        body = (
            "\n    <h2>"
            + interpolate(w["%(stage)s: finished!"], {"stage": celebration.title})
            + "</h2>\n    <p>"
            + interpolate(
                w["You finished this stage of %(pathway)s on %(date)s."],
                {
                    "pathway": celebration.pathway,
                    "date": _day_month(celebration.finished_at),
                },
            )
            + "</p>\n  "
        )
    return f'\n<section class="celebrate" role="status">\n  {body}\n</section>\n'


def _next_step(next_step: NextStep, w: Words) -> str:
    t = w.literal
    esc = conditional_escape
    overdue = (
        f'<span class="badge badge--overdue">{t("Overdue")}</span> '
        if next_step.kind == "overdue"
        else ""
    )
    title = (
        f'<a href="{value_html(next_step.url)}">{esc(next_step.title)}</a>'
        if next_step.url
        else esc(next_step.title)
    )
    step = next_step.step
    if step:
        meta = str(esc(step.kind_label))
        if step.minutes:
            meta += " · " + interpolate(
                w.count("%(minutes)s minute", "%(minutes)s minutes", step.minutes),
                {"minutes": step.minutes},
            )
        if step.due_on and not step.overdue:
            meta += " · " + interpolate(
                w["due %(when)s"], {"when": relative_date(step.due_on, "dated")}
            )
        label = t("Open module") if step.kind == "module" else t("Open step")
        body = (
            f'\n    <p class="muted">{meta}</p>\n'
            f'    <a class="btn btn--primary btn--large" href="{value_html(next_step.url)}">{label}</a>\n  '
        )
    elif next_step.kind == "diagnostic":
        body = (
            "\n    <p>"
            + t(
                "Rate yourself on each competency of this pathway. It takes two minutes and "
                "lets the pathway skip what you already do well."
            )
            + "</p>\n"
            f'    <a class="btn btn--primary btn--large" href="{value_html(next_step.url)}">'
            f"{t('Start the self-assessment')}</a>\n  "
        )
    elif next_step.kind == "reviews":
        start = (
            f'<a class="btn btn--primary btn--large" href="{value_html(next_step.url)}">'
            f"{t('Start reviewing')}</a>"
            if next_step.url
            else ""
        )
        body = (
            f"\n    <p>{t('A few quick questions on what you learned, spaced so that it sticks.')}"
            f"</p>\n    {start}\n  "
        )
    elif next_step.kind == "electives":
        body = (
            "\n    <p>"
            + t(
                "Your pathway lets you choose some of its steps. Pick the ones that fit your "
                "work best."
            )
            + "</p>\n"
            f'    <a class="btn btn--primary btn--large" href="{value_html(next_step.url)}">'
            f"{t('Choose your electives')}</a>\n  "
        )
    else:
        body = ""
    return (
        '\n<section class="card card--primary stack" aria-labelledby="next-step-title">\n'
        f'  <p class="card__meta">{overdue}{esc(next_step.reason)}</p>\n'
        f'  <h2 class="card__title" id="next-step-title">{title}</h2>\n'
        f"  {body}\n"
        "</section>\n"
    )


def _nothing_next(home: HomeView, org_slug: str, t: Callable[[str], str]) -> str:
    if home.enrollments:
        return (
            f'\n<section class="celebrate" role="status"><h2>{t("You are all caught up")}</h2>'
            f"<p>{t('Every open step is done. New steps open as your cohort moves on.')}</p>"
            "</section>\n"
        )
    try:
        catalogue_url = reverse("catalogue", args=[org_slug])
    except NoReverseMatch:  # ``{% url … as … %}`` leaves it empty
        catalogue_url = ""
    browse = (
        f'<p><a class="btn btn--secondary" href="{conditional_escape(catalogue_url)}">'
        f"{t('Browse the modules')}</a></p>"
        if catalogue_url
        else ""
    )
    return (
        f'\n<div class="empty-state"><h2>{t("No pathway yet")}</h2><p>'
        + t("When your HR team enrols you in a programme, its steps appear here, one at a time.")
        + f"</p>{browse}</div>\n"
    )


def _recommendations(home: HomeView, csrf_token: str, t: Callable[[str], str]) -> str:
    esc = conditional_escape
    csrf = csrf_input(csrf_token) if csrf_token else ""
    dismiss = t("Dismiss")
    items = []
    for rec in home.recommendations:
        note = f"<blockquote>{esc(rec.note)}</blockquote>" if rec.note else ""
        dismiss_url = esc(rec.dismiss_url)  # type: ignore[attr-defined]
        items.append(
            f'\n    <li class="card stack" id="recommendation-{value_html(rec.id)}">\n'
            f'      <h3 class="card__title"><a href="{esc(rec.module_url)}">'  # type: ignore[attr-defined]
            f"{esc(rec.module_title)}</a></h3>\n"
            f'      <p class="card__meta">{esc(rec.from_label)}</p>\n'  # type: ignore[attr-defined]
            f"      {note}\n"
            f'      <form method="post" action="{dismiss_url}" hx-post="{dismiss_url}" '
            f'hx-target="#recommendation-{value_html(rec.id)}" hx-swap="outerHTML">\n'
            f'        {csrf}<button class="btn btn--link btn--small" type="submit" '
            f'aria-label="{esc(rec.dismiss_label)}">{dismiss}</button>\n'  # type: ignore[attr-defined]
            "      </form>\n"
            "    </li>\n    "
        )
    return (
        '\n<section class="stack" aria-labelledby="recommended-title">\n'
        f'  <h2 id="recommended-title">{t("Recommended by colleagues")}</h2>\n'
        '  <ul class="grid grid--2" role="list">\n    ' + "".join(items) + "\n  </ul>\n</section>\n"
    )


def content_html(home: HomeView, org_slug: str, name: str, csrf_token: str = "") -> SafeString:
    """``learner_home.html``'s content block for ``home``, greeting ``name`` (``csrf_token``:
    the page's, for the recommendations' forms)."""
    # The page's words and the template's literals, each translated once per catalogue.
    w = words()
    t = w.literal
    esc = conditional_escape
    parts = [
        '\n<header class="page-header">\n'
        '  <h1 class="page-header__title">'
        f"{interpolate(w['Hello, %(name)s'], {'name': name})}</h1>\n"
        f'  <p class="page-header__lead">{t("Here is the one thing worth doing next.")}</p>\n'
        '  <div class="page-header__actions"><a class="btn btn--link" '
        f'href="{esc(reverse("learner_growth", args=[org_slug]))}">{t("My growth")}</a>'
        '<a class="btn btn--link" '
        f'href="{esc(reverse("learning_history", args=[org_slug]))}">{t("Your history")}</a>'
        "</div>\n</header>\n\n"
    ]
    parts.extend(f"\n{celebration_html(c)}\n" for c in home.celebrations)
    parts.append("\n\n\n")
    next_step = home.next_step
    parts.append(_next_step(next_step, w) if next_step else _nothing_next(home, org_slug, t))
    parts.append("\n\n\n")
    if home.reviews_due and (next_step is None or next_step.kind != "reviews"):
        n = home.reviews_due
        due = interpolate(
            w.count("%(n)s review due today.", "%(n)s reviews due today.", n), {"n": n}
        )
        review = (
            f' <a href="{esc(home.review_url)}">{t("Review now")}</a>' if home.review_url else ""
        )
        parts.append(f'\n<p class="card card--muted">{due}{review}</p>\n')
    parts.append("\n\n")
    if home.recommendations:
        parts.append(_recommendations(home, csrf_token, t))
    parts.append("\n\n")
    parts.extend(
        f'\n\n<section class="card stack" id="enrollment-{value_html(e.id)}" '
        f'aria-live="polite">\n  \n  \n  {e.card_html}\n</section>\n\n'  # type: ignore[attr-defined]
        for e in home.enrollments
    )
    parts.append("\n")
    return SafeString("".join(parts))
