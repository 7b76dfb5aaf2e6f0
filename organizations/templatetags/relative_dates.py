"""Relative dates in templates, computed on the server: ``{% load relative_dates %}``.

- ``{{ step.due_on|relative_date }}`` -> ``<time datetime="2026-12-03" title="Thu 3 Dec 2026">
  in 8 days</time>`` (compared with the organisation's today).
- ``{{ comment.created_at|relative_time }}`` -> ``<time datetime="2026-12-03T14:05:00+01:00"
  title="Thu 3 Dec 2026, 14:05">2 hours ago</time>`` (in the active time zone).
- The style argument ``"dated"`` also shows the exact date in the text ("in 8 days (3 Dec)",
  for dates a person acts on); ``"text"`` gives the words alone, with no markup.

Both return "" for an empty value, so ``{% if %}`` guards stay optional. The words come from
``organizations.relative_dates``.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from organizations import relative_dates as words

register = template.Library()

STYLES = ("", "dated", "text")


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise template.TemplateSyntaxError(
            f"Unknown relative date style {style!r}: use 'dated', 'text' or none."
        )


def _time(moment: str, title: str, text: str) -> SafeString:
    """``format_html('<time datetime="{}" title="{}">{}</time>', …)``, put together directly
    (a table's rows call it once each)."""
    return SafeString(
        f'<time datetime="{conditional_escape(moment)}" title="{conditional_escape(title)}">'
        f"{conditional_escape(text)}</time>"
    )


@register.filter
def relative_date(value: dt.date | None, style: str = "") -> str:
    """A calendar date (a moment counts by its local date) in words against today."""
    _check_style(style)
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return relative_date_against(value, words.local_today(), style)


def relative_date_against(value: dt.date, today: dt.date, style: str = "") -> str:
    """``relative_date`` of a calendar date against a given ``today``."""
    text = words.relative_day(value, today)
    if style == "text":
        return text
    if style == "dated":
        text = words.with_date(text, words.short_date(value, today))
    return _time(value.isoformat(), words.long_date(value), text)


@register.filter
def relative_time(value: dt.datetime | dt.date | None, style: str = "") -> str:
    """A moment in words against now, in the active time zone (a plain date goes to
    ``relative_date``)."""
    _check_style(style)
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return relative_date(value, style)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    now = timezone.now()
    text = words.relative_time(value, now)
    if style == "text":
        return text
    if style == "dated":
        text = words.with_date(text, words.short_datetime(value, now))
    return _time(
        timezone.localtime(value).isoformat(timespec="seconds"), words.long_datetime(value), text
    )
