"""What a template writes for a value, a translated sentence and a link, written in Python:
for the rows, cards and tables that pages build once per page instead of through a template
loop (a template's ``{{ }}``, ``{% blocktranslate %}`` and ``{% url %}`` per row cost more than
the rows). Each gives exactly what the template gave; the pages' comparison tests hold them to
it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import gettext

# A number no URL argument takes, reversed in place of an id and replaced by each row's id.
_ID_MARK = "2147483647"


def url_with_id(name: str, *args: Any) -> Callable[[int], str]:
    """The URL ``name`` for ``args`` and a last id argument, from one ``reverse``: a table's
    rows join their id in rather than reversing the URL once each."""
    before, _mark, after = reverse(name, args=[*args, int(_ID_MARK)]).rpartition(_ID_MARK)
    return lambda pk: f"{before}{pk}{after}"


def value_html(value: Any) -> str:
    """A value as ``{{ value }}`` shows it: localised, escaped (``None`` as "None")."""
    return conditional_escape(value if isinstance(value, str) else localize(value))


def interpolate(translated: str, values: dict[str, Any]) -> str:
    """A translated ``{% blocktranslate %}`` text with its values escaped."""
    return translated % {k: value_html(v) for k, v in values.items()}


def blocktranslate(msgid: str, **values: Any) -> str:
    """``{% blocktranslate with … %}``: the translated text as it is, the values escaped."""
    return interpolate(gettext(msgid), values)
