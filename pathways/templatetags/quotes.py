"""``{{ text|quoted }}``: put words in quotation marks once, even when they bring their own."""

from __future__ import annotations

from django import template

register = template.Library()

QUOTES = "\"'“”‘’«»„"


@register.filter
def quoted(text: object) -> str:
    """“text”, or the text as it is when it is already a quotation (a line someone says)."""
    value = str(text).strip()
    if len(value) >= 2 and value[0] in QUOTES and value[-1] in QUOTES:
        return "“" + value[1:-1] + "”"
    return "“" + value + "”"
