"""What a template writes for a value, a translated sentence and a link, written in Python:
for the rows, cards and tables that pages build once per page instead of through a template
loop (a template's ``{{ }}``, ``{% blocktranslate %}`` and ``{% url %}`` per row cost more than
the rows). Each gives exactly what the template gave; the pages' comparison tests hold them to
it."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import ngettext

from organizations.words import words

# Numbers no URL argument takes, reversed in place of ids and replaced by each row's ids.
_ID_MARK = "2147483647"
_ID_MARKS = 987_654_300

# The addresses kept, by URLconf (the thread's, ``None`` for ``ROOT_URLCONF``), script
# prefix, URL name and fixed arguments (and, but for ``url``'s, the function that keeps them,
# as their values differ): past this many the store starts again.
KEPT_URLS = 4096
_kept_urls: dict[tuple[Any, ...], Any] = {}


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    """Another ``ROOT_URLCONF`` (a test's, the benchmark's) has other addresses under the
    same key (``None``); Django's own URL caches are cleared then too."""
    if setting == "ROOT_URLCONF":
        _kept_urls.clear()


def _keep_url[T](key: tuple[Any, ...], value: T) -> T:
    if len(_kept_urls) >= KEPT_URLS:
        _kept_urls.clear()
    _kept_urls[key] = value
    return value


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse(name, args=args)`` (or ``kwargs=kwargs``), reversed once per URLconf and
    script prefix (what an address depends on besides its name and arguments: Pathwise's
    routes are not translated) for each name and arguments."""
    key: tuple[Any, ...] = (get_urlconf(), get_script_prefix(), name, args)
    if kwargs:
        key += tuple(kwargs.items())
    try:
        return _kept_urls[key]  # type: ignore[no-any-return]
    except KeyError:
        return _keep_url(key, reverse(name, args=args or None, kwargs=kwargs or None))


def urls_html(names: tuple[str, ...], *args: Any) -> dict[str, str]:
    """The URLs ``names`` for the same ``args`` by name, escaped as ``{% url %}`` writes them
    in a page, reversed once per URLconf and script prefix (see ``url``): a page's tabs."""
    key = (get_urlconf(), get_script_prefix(), urls_html, names, args)
    try:
        return _kept_urls[key]  # type: ignore[no-any-return]
    except KeyError:
        addresses: dict[str, str] = {
            name: conditional_escape(reverse(name, args=args or None)) for name in names
        }
        return _keep_url(key, addresses)


def url_with_id(name: str, *args: Any) -> Callable[[int], str]:
    """The URL ``name`` for ``args`` and a last id argument, from one ``reverse`` per URLconf
    and script prefix (see ``url``): a table's rows join their id in rather than reversing
    the URL once each."""
    key = (get_urlconf(), get_script_prefix(), url_with_id, name, args)
    try:
        return _kept_urls[key]  # type: ignore[no-any-return]
    except KeyError:
        before, _mark, after = reverse(name, args=[*args, int(_ID_MARK)]).rpartition(_ID_MARK)
        return _keep_url(key, lambda pk: f"{before}{pk}{after}")


def url_with_ids(name: str, ids: tuple[str, ...], **kwargs: Any) -> Callable[..., str]:
    """The URL ``name`` for the fixed ``kwargs`` and the integer keyword arguments ``ids``,
    reversed once per URLconf and script prefix (see ``url``): the returned function fills in
    the ids (``ids``' names as keywords) by formatting, not by reversing again. When a mark
    is not found exactly once in the address reversed with them (a fixed argument holds its
    digits, or a converter writes ids otherwise), the function reverses on every call."""
    key = (get_urlconf(), get_script_prefix(), url_with_ids, name, ids, *kwargs.items())
    try:
        return _kept_urls[key]  # type: ignore[no-any-return]
    except KeyError:
        marks = {arg: str(_ID_MARKS + i) for i, arg in enumerate(ids)}
        marked = reverse(name, kwargs={**kwargs, **marks})
        if any(marked.count(mark) != 1 for mark in marks.values()):
            # Replacing the marks would change more, or less, than the ids.
            return _keep_url(key, lambda **values: reverse(name, kwargs={**kwargs, **values}))
        pattern = marked.replace("%", "%%")
        for arg, mark in marks.items():
            pattern = pattern.replace(mark, f"%({arg})d")
        return _keep_url(key, lambda **values: pattern % values)


def escape_each(texts: list[str]) -> list[str]:
    """``escape`` of each plain text, the texts escaped together (one call, not one a text: a
    table's names and e-mails)."""
    escaped = html.escape("\x00".join(texts)).split("\x00")
    if len(escaped) != len(texts):  # a text holding the separator itself
        return [html.escape(text) for text in texts]
    return escaped


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
    """``{% blocktranslate with … %}``: the translated text as it is (looked up once per
    catalogue, ``words``), the values escaped."""
    return interpolate(words()[msgid], values)


def blocktranslate_count(singular: str, plural: str, count: int, **values: Any) -> str:
    """``{% blocktranslate count … %}``: the catalogue's form for ``count``, the values
    escaped."""
    return interpolate(words().count(singular, plural, count), values)


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
