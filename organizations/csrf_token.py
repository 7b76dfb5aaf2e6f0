"""The page's CSRF token, as Django's ``get_token`` gives it, masked from one read of the system's
random source instead of 32.

Django masks the secret afresh for every response (so that the token in a compressed page
changes every time: BREACH), drawing each of the mask's 32 characters with ``secrets.choice``,
a call into the system's random source each: some 60-120 µs a page on a small virtual machine,
paid by every page that carries a form or the frame's htmx header. Here the mask's characters
come from one ``secrets.token_bytes``: each byte below 248 (4 × 62) stands for one of the 62
characters (``byte % 62``, every character equally likely), the others are dropped, and more
bytes are read in the rare case that too few remain. The token is the same shape (the mask, then
the secret with the mask added character by character), so Django's middleware checks it as
its own (``tests/organizations/test_csrf_token.py``).
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest
from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
_N = len(_CHARS)
_INDEX = {char: i for i, char in enumerate(_CHARS)}
_EVEN = 256 - 256 % _N  # bytes below this map evenly onto the characters
_LENGTH = csrf.CSRF_SECRET_LENGTH


def _mask() -> list[int]:
    """``_LENGTH`` characters' positions drawn uniformly from the system's random source."""
    drawn: list[int] = []
    while len(drawn) < _LENGTH:
        # 40 bytes leave 32 usable ones at least 98% of the time (each is kept with p 248/256).
        drawn += [byte % _N for byte in secrets.token_bytes(40) if byte < _EVEN]
    return drawn[:_LENGTH]


def get_token(request: HttpRequest) -> str:
    """``django.middleware.csrf.get_token``: the secret of the request's cookie (a new one when
    there is none, sent with the response), masked afresh; the cookie is renewed with the
    response, as Django's does."""
    if "CSRF_COOKIE" in request.META:
        secret = request.META["CSRF_COOKIE"]
    else:  # a new secret, drawn as the mask is, for the cookie the response sets
        secret = request.META["CSRF_COOKIE"] = "".join(_CHARS[m] for m in _mask())
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _mask()
    masked = [_CHARS[(_INDEX[char] + m) % _N] for char, m in zip(secret, mask, strict=True)]
    return "".join(_CHARS[m] for m in mask) + "".join(masked)
