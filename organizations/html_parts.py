"""What a template writes for a value, a translated sentence and a link, written in Python:
for the rows, cards and tables that pages build once per page instead of through a template
loop (a template's ``{{ }}``, ``{% blocktranslate %}`` and ``{% url %}`` per row cost more than
the rows). Each gives exactly what the template gave; the pages' comparison tests hold them to
it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import gettext, ngettext

# A number no URL argument takes, reversed in place of an id and replaced by each row's id.
_ID_MARK = "2147483647"


def url_with_id(name: str, *args: Any) -> Callable[[int], str]:
    """The URL ``name`` for ``args`` and a last id argument, from one ``reverse``: a table's
    rows join their id in rather than reversing the URL once each."""
    before, _mark, after = reverse(name, args=[*args, int(_ID_MARK)]).rpartition(_ID_MARK)
    return lambda pk: f"{before}{pk}{after}"


def value_html(value: Any) -> str:
    """A value as ``{{ value }}`` shows it: localised, escaped (``None`` as "None"). A whole
    number without thousand separators is its digits, as ``localize`` writes it, without
    looking up the locale's formats three times."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(value if isinstance(value, str) else localize(value))


def interpolate(translated: str, values: dict[str, Any]) -> str:
    """A translated ``{% blocktranslate %}`` text with its values escaped."""
    return translated % {k: value_html(v) for k, v in values.items()}


def blocktranslate(msgid: str, **values: Any) -> str:
    """``{% blocktranslate with … %}``: the translated text as it is, the values escaped."""
    return interpolate(gettext(msgid), values)


def blocktranslate_count(singular: str, plural: str, count: int, **values: Any) -> str:
    """``{% blocktranslate count … %}``: the catalogue's form for ``count``, the values
    escaped."""
    return interpolate(ngettext(singular, plural, count), values)


def counted_words(singular: str, plural: str) -> Callable[..., str]:
    """``blocktranslate_count`` for the rows of one page: each count's form looked up once
    (a table's rows share a few counts), the values escaped in every row."""
    forms: dict[int, str] = {}

    def words(count: int, **values: Any) -> str:
        form = forms.get(count)
        if form is None:
            form = forms[count] = ngettext(singular, plural, count)
        return interpolate(form, values)

    return words
