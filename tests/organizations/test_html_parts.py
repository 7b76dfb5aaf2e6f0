"""organizations/html_parts.py against what the template language writes for the same values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from organizations import html_parts


@pytest.mark.parametrize(
    "value",
    [
        0,
        7,
        -12,
        1234567,
        True,
        False,
        None,
        2.5,
        Decimal("1234.50"),
        "a <b> & 'c'",
        dt.date(2026, 3, 1),
    ],
)
@pytest.mark.parametrize("thousands", [False, True])
def test_a_value_is_what_the_template_shows(value, thousands):
    with override_settings(USE_THOUSAND_SEPARATOR=thousands), translation.override("en-gb"):
        shown = Template("{{ value }}").render(Context({"value": value}))
        assert html_parts.value_html(value) == shown


@pytest.mark.parametrize("count", [0, 1, 2, 15, 1001])
def test_the_counted_words_are_what_blocktranslate_count_writes(count):
    template = Template(
        "{% load i18n %}{% blocktranslate count n=count %}{{ n }} question"
        "{% plural %}{{ n }} questions{% endblocktranslate %}"
    )
    words = html_parts.counted_words("%(n)s question", "%(n)s questions")
    with translation.override("en-gb"):
        expected = template.render(Context({"count": count}))
        assert (
            html_parts.blocktranslate_count("%(n)s question", "%(n)s questions", count, n=count)
            == expected
        )
        assert words(count, n=count) == expected
        assert words(count, n=count) == expected  # the form kept for this count
