"""The fixed words of the Python-built pages (organizations/words.py): what ``gettext`` and
``ngettext`` give in the active language, kept per catalogue, so that a language switched (or
translation switched off) never shows another's words."""

from __future__ import annotations

from django.utils import translation

from organizations import words as words_module
from organizations.words import words


def test_the_words_are_the_active_catalogues():
    for language in ("de", "en", "de"):
        with translation.override(language):
            w = words()
            assert w["Search"] == translation.gettext("Search")
            assert w["Not started"] == translation.gettext("Not started")
            for n in (0, 1, 2, 5030):
                assert w.count("%(n)s step", "%(n)s steps", n) == translation.ngettext(
                    "%(n)s step", "%(n)s steps", n
                )
            assert words() is w  # kept for the catalogue
    with translation.override("de"):
        german = words()
    with translation.override("en"):
        assert words() is not german
        assert words()["Search"] == "Search"


def test_without_translation_nothing_is_kept():
    with translation.override(None):
        w = words()
        assert w["Search"] == "Search"
        assert words() is not w


def test_the_kept_counts_start_again_past_their_limit(monkeypatch):
    monkeypatch.setattr(words_module, "KEPT_COUNTS", 3)
    with translation.override("de"):
        w = words()
        for n in range(10):
            assert w.count("%(n)s step", "%(n)s steps", n) == translation.ngettext(
                "%(n)s step", "%(n)s steps", n
            )
        assert len(w._counted) <= 3


def test_what_is_made_of_a_catalogues_words_is_kept_with_it():
    made = []

    def make():
        made.append(1)
        return [translation.gettext("Search")]

    with translation.override("de"):
        german = words().kept("search", make)
        assert words().kept("search", make) is german
    with translation.override("en"):
        assert words().kept("search", make) == ["Search"]
    assert len(made) == 2


def test_a_choices_label_is_its_mappings_in_the_active_language():
    from coaching.models import CoachingSession

    kinds = dict(CoachingSession.Kind.choices)
    modes = dict(CoachingSession.Mode.choices)
    for language in ("de", "en"):
        with translation.override(language):
            w = words()
            for value in kinds:
                assert w.label(kinds, value) == str(kinds[value])
            for value in modes:
                assert w.label(modes, value) == str(modes[value])
            assert w.label(kinds, "unknown") == "unknown"
            # Another mapping with the same keys never gets the first one's labels.
            assert w.label(dict.fromkeys(kinds, "other"), next(iter(kinds))) == "other"


def test_a_literal_is_what_the_translate_tag_writes(monkeypatch):
    from django.template import Context, Template

    looked_up = []

    def gettext(message):
        looked_up.append(message)
        return translation.gettext(message)

    monkeypatch.setattr(words_module, "gettext", gettext)

    messages = (
        "This field is required.",
        "Ensure this value is less than or equal to %(limit_value)s.",
        "100% & <done>",
    )
    for language in ("de", "en", "de"):
        with translation.override(language):
            w = words()
            for message in messages:
                tag = Template('{% load i18n %}{% translate "' + message + '" %}')
                assert w.literal(message) == tag.render(Context())
    # Each literal looked up once per catalogue.
    assert len(looked_up) == len(set(looked_up)) * 2
    with translation.override("de"):
        assert words().literal(messages[0]) == "Dieses Feld ist zwingend erforderlich."
