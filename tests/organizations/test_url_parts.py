"""organizations/html_parts.py's addresses reversed once (``url``, ``urls_html``,
``url_with_id``, ``url_with_ids``): what ``reverse`` gives, for the URLconf and script prefix
in force, in a bounded store."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix, set_urlconf
from django.utils.html import conditional_escape

from organizations import html_parts

OTHER = "tests.organizations.other_urls"


@pytest.fixture(autouse=True)
def _fresh_store(monkeypatch):
    """A store of the test's own, and the default URLconf and prefix after it."""
    monkeypatch.setattr(html_parts, "_kept_urls", {})
    yield
    set_urlconf(None)
    clear_script_prefix()


def _each_form(slug: str = "acme") -> dict[str, str]:
    """Every helper's address, beside what ``reverse`` gives now."""
    step = html_parts.url_with_ids("learning_step", ("enrollment_id", "step_id"), org_slug=slug)
    formed = {
        "url": html_parts.url("people_list", slug),
        "url kwargs": html_parts.url("people_list", org_slug=slug),
        "urls_html": html_parts.urls_html(("people_list",), slug)["people_list"],
        "url_with_id": html_parts.url_with_id("cohort_detail", slug)(42),
        "url_with_ids": step(enrollment_id=3, step_id=9),
    }
    reversed_now = {
        "url": reverse("people_list", args=[slug]),
        "url kwargs": reverse("people_list", kwargs={"org_slug": slug}),
        "urls_html": conditional_escape(reverse("people_list", args=[slug])),
        "url_with_id": reverse("cohort_detail", args=[slug, 42]),
        "url_with_ids": reverse(
            "learning_step", kwargs={"org_slug": slug, "enrollment_id": 3, "step_id": 9}
        ),
    }
    assert formed == reversed_now
    return formed


def test_it_gives_what_reverse_gives_and_keeps_it():
    first = _each_form()
    kept = dict(html_parts._kept_urls)
    assert _each_form() == first
    assert html_parts._kept_urls == kept  # nothing reversed again
    assert first["url"] == "/o/acme/people/"


def test_it_follows_another_urlconf():
    usual = _each_form()
    set_urlconf(OTHER)
    other = _each_form()
    assert other["url"] == "/elsewhere/acme/people/"
    assert all(other[form] != usual[form] for form in usual)
    set_urlconf(None)
    assert _each_form() == usual


def test_it_follows_another_root_urlconf():
    usual = _each_form()
    with override_settings(ROOT_URLCONF=OTHER):
        assert _each_form()["url_with_id"] == "/elsewhere/acme/cohorts/42/"
    assert _each_form() == usual


def test_it_follows_another_script_prefix():
    usual = _each_form()
    set_script_prefix("/pathwise/")
    prefixed = _each_form()
    assert prefixed["url"] == "/pathwise/o/acme/people/"
    assert prefixed["url_with_ids"] == "/pathwise" + usual["url_with_ids"]
    clear_script_prefix()
    assert _each_form() == usual


def test_the_helpers_keep_apart_what_they_keep():
    """The same name and arguments kept by two helpers (an address, a function) stay apart."""
    assert html_parts.url("people_list", "acme") == "/o/acme/people/"
    assert callable(html_parts.url_with_id("people_list"))
    assert html_parts.url("people_list", "acme") == "/o/acme/people/"
    assert html_parts.urls_html(("people_list",), "acme") == {"people_list": "/o/acme/people/"}


def test_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(html_parts, "KEPT_URLS", 8)
    for n in range(50):
        assert html_parts.url("people_list", f"org-{n}") == f"/o/org-{n}/people/"
        assert len(html_parts._kept_urls) <= 8
    # Started again: the latest are kept, the earliest reversed again.
    assert html_parts.url("people_list", "org-49") == "/o/org-49/people/"
    assert html_parts.url("people_list", "org-0") == "/o/org-0/people/"
    assert len(html_parts._kept_urls) <= 8


def _counting_reverse(monkeypatch) -> list[str]:
    """``html_parts``' ``reverse`` recording the names it reverses."""
    calls: list[str] = []

    def counted(name, *args, **kwargs):
        calls.append(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(html_parts, "reverse", counted)
    return calls


def test_url_with_ids_formats_the_ids_into_one_reverse(monkeypatch):
    calls = _counting_reverse(monkeypatch)
    step = html_parts.url_with_ids("learning_step", ("enrollment_id", "step_id"), org_slug="acme")
    for enrollment_id, step_id in ((3, 9), (987654301, 987654300), (12, 12)):
        assert step(enrollment_id=enrollment_id, step_id=step_id) == reverse(
            "learning_step",
            kwargs={"org_slug": "acme", "enrollment_id": enrollment_id, "step_id": step_id},
        )
    assert calls == ["learning_step"]


def test_url_with_ids_reverses_each_time_when_a_fixed_argument_holds_a_mark(monkeypatch):
    """An organisation whose slug is a mark's digits: replacing the mark would replace the
    slug too, so each address is reversed (and the function is still kept)."""
    calls = _counting_reverse(monkeypatch)
    mark = str(html_parts._ID_MARKS)
    step = html_parts.url_with_ids("learning_step", ("enrollment_id", "step_id"), org_slug=mark)
    assert step(enrollment_id=3, step_id=9) == f"/o/{mark}/learn/enrollments/3/steps/9/"
    assert step(enrollment_id=4, step_id=5) == reverse(
        "learning_step", kwargs={"org_slug": mark, "enrollment_id": 4, "step_id": 5}
    )
    assert calls == ["learning_step"] * 3  # the marked address, then one per call
    again = html_parts.url_with_ids("learning_step", ("enrollment_id", "step_id"), org_slug=mark)
    assert again is step


def test_url_with_id_keeps_a_fixed_argument_that_holds_its_mark():
    """The id is the last argument, so the mark's last occurrence is the id's."""
    mark = html_parts._ID_MARK
    assert html_parts.url_with_id("cohort_detail", mark)(42) == f"/o/{mark}/cohorts/42/"
