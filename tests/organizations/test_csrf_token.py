"""The page's CSRF token masked from one read of the random source (``organizations.csrf_token``)
is Django's token: the same shape, the cookie's secret under a fresh mask each time, a new
cookie when there is none, every character equally likely; and Django's middleware accepts a
form posted with it and refuses one posted with it altered."""

from __future__ import annotations

import collections
import re

from django.middleware import csrf
from django.test import Client, RequestFactory
from django.urls import reverse

from organizations import csrf_token
from tests.conftest import make_member


def test_it_masks_the_cookies_secret_afresh_as_django_does():
    request = RequestFactory().get("/")
    secret = csrf._get_new_csrf_string()
    request.META["CSRF_COOKIE"] = secret
    tokens = {csrf_token.get_token(request) for _ in range(200)}
    assert len(tokens) == 200  # a fresh mask each time
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9]{64}", token)
        assert csrf._unmask_cipher_token(token) == secret
        assert not csrf._does_token_match(token, csrf._get_new_csrf_string())
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # the cookie renewed


def test_without_a_cookie_it_makes_one_sent_with_the_response():
    request = RequestFactory().get("/")
    token = csrf_token.get_token(request)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    secret = request.META["CSRF_COOKIE"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", secret)  # the shape Django checks a cookie for
    assert csrf._unmask_cipher_token(token) == secret
    assert csrf._unmask_cipher_token(csrf_token.get_token(request)) == secret  # kept


def test_the_masks_characters_are_equally_likely(monkeypatch):
    # Bytes 248-255 would favour the first eight characters: dropped, and more are read.
    reads = iter(
        [
            bytes(range(248, 256)) + bytes(range(62, 62 + 26)) + bytes(range(6)),
            b"\xff" * 40,
            bytes(range(124, 164)),
        ]
    )
    monkeypatch.setattr(csrf_token.secrets, "token_bytes", lambda n: next(reads))
    assert csrf_token._mask() == [*range(26), *range(6)]  # 62 + k stands for k
    assert csrf_token._mask() == list(range(32))  # a read of only dropped bytes, then 124 + k
    monkeypatch.undo()
    counts = collections.Counter(m for _ in range(4000) for m in csrf_token._mask())
    assert set(counts) == set(range(62))
    expected = 4000 * 32 / 62
    assert all(0.85 * expected < n < 1.15 * expected for n in counts.values())


def test_a_pages_token_passes_djangos_check_and_an_altered_one_does_not(org_a):
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    page = client.get(reverse("people_list", args=[org_a.slug])).content.decode()
    token = re.search(r'"X-CSRFToken": "([A-Za-z0-9]{64})"', page)
    assert token is not None  # the frame's token, written by ``csrf_token.get_token``
    url = reverse("team_list", args=[org_a.slug])
    altered = token[1][:-1] + ("1" if token[1][-1] == "0" else "0")
    refused = client.post(url, {"name": "Ops"}, HTTP_X_CSRFTOKEN=altered)
    assert refused.status_code == 403
    accepted = client.post(url, {"name": "Ops"}, HTTP_X_CSRFTOKEN=token[1])
    assert accepted.status_code != 403
