"""The fixed words of the pages written in Python, translated once per catalogue rather than on
every request.

A ``gettext`` is a walk down the language's catalogues and their fallbacks (each miss asks the
plural rule of every one): some fifty calls a word, and a page of fixed headings, labels and
buttons asks for a hundred words. ``words()`` gives the active catalogue's words as a
dictionary filled on first use: ``words()["Search"]`` is ``gettext("Search")``, and
``words().count(singular, plural, n)`` is ``ngettext(singular, plural, n)``, each text what the
catalogue gives, unescaped, as ``gettext`` gives it; ``words().literal(message)`` is what a
template's ``{% translate "message" %}`` writes. Kept per catalogue object, so that another
language, or catalogues loaded again (a changed setting), gets its own words; with translation
switched off (no language) nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import get_language, gettext, ngettext, trans_real

# The counted forms kept per catalogue: counts vary (a roster's size), so past this many the
# forms start again.
KEPT_COUNTS = 4096
# Catalogues kept (languages, or catalogues loaded again in tests); past this, start again.
KEPT_CATALOGUES = 16


class Words(dict[str, str]):
    """One catalogue's words by message id (``gettext`` of each, on first use)."""

    def __init__(self) -> None:
        super().__init__()
        self._counted: dict[tuple[str, str, int], str] = {}
        self._literals: dict[str, str] = {}
        self._made: dict[Any, Any] = {}

    def __missing__(self, msgid: str) -> str:
        text = self[msgid] = gettext(msgid)
        return text

    def count(self, singular: str, plural: str, n: int) -> str:
        """``ngettext(singular, plural, n)``."""
        key = (singular, plural, n)
        text = self._counted.get(key)
        if text is None:
            if len(self._counted) >= KEPT_COUNTS:
                self._counted.clear()
            text = self._counted[key] = ngettext(singular, plural, n)
        return text

    def literal(self, message: str) -> str:
        """``{% translate "message" %}`` of a template's literal: ``gettext`` of ``message``
        with its percent signs doubled, and the doubled ones in the text restored, as the tag
        does (the text is inserted as it is)."""
        text = self._literals.get(message)
        if text is None:
            text = self._literals[message] = gettext(message.replace("%", "%%")).replace("%%", "%")
        return text

    def kept[T](self, key: Any, make: Callable[[], T]) -> T:
        """What ``make()`` gives in this catalogue (its words only, say a model's choices'
        labels), made once under ``key``."""
        if (found := self._made.get(key)) is None:
            found = self._made[key] = make()
        return found  # type: ignore[no-any-return]

    def label(self, choices: Mapping[Any, Any], value: Any) -> str:
        """``str(choices.get(value, value))``: a model's choice's (lazy) label translated,
        once per catalogue for each ``choices`` (kept with its label, so that another mapping
        never takes its place)."""
        key = ("label", id(choices), value)
        found = self._made.get(key)
        if found is None or found[0] is not choices:
            found = self._made[key] = (choices, str(choices.get(value, value)))
        return found[1]  # type: ignore[no-any-return]


_kept: dict[Any, Words] = {}


def words() -> Words:
    """The active catalogue's words (a fresh, unkept ``Words`` with translation off)."""
    language = get_language()
    if language is None:
        return Words()
    catalogue = trans_real.translation(language)
    found = _kept.get(catalogue)
    if found is None:
        if len(_kept) >= KEPT_CATALOGUES:
            _kept.clear()
        found = _kept[catalogue] = Words()
    return found


def translated(msgid: str) -> str:
    """``gettext(msgid)`` from the active catalogue's kept words."""
    return words()[msgid]


def counted(singular: str, plural: str, n: int) -> str:
    """``ngettext(singular, plural, n)`` from the active catalogue's kept forms."""
    return words().count(singular, plural, n)
