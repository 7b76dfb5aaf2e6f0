"""Signed, expiring, single-use links for stakeholder ratings (no account needed).

A token names the organisation and one ``RatingRequest`` (``"<org_id>:<request_id>"``), signed
with ``TimestampSigner`` and valid for ``RATING_LINK_MAX_AGE``. The organisation in a valid
token is what lets the public page enter the right tenant (both walls). A request is used once
(``answered_at``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from organizations.models import Organization
from projects.models import RatingRequest
from projects.services import RatingUnavailable

RATING_LINK_MAX_AGE = dt.timedelta(days=21)
_SALT = "pathwise.project-rating"


def make_token(request: RatingRequest) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(f"{request.organization_id}:{request.pk}")


def rating_url(request: RatingRequest) -> str:
    return settings.PATHWISE_BASE_URL + reverse("project_rating", args=[make_token(request)])


@dataclass(frozen=True)
class RatingLink:
    org: Organization
    request_id: int


def read_token(token: str) -> RatingLink:
    """The organisation and request a token names, or raise ``RatingUnavailable`` (expired,
    forged, gone). Whether the request exists and is unused is checked inside the tenant."""
    signer = signing.TimestampSigner(salt=_SALT)
    try:
        value = signer.unsign(token, max_age=RATING_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise RatingUnavailable(
            "expired",
            _(
                "This rating link has expired: links work for 21 days. If you still want to "
                "give feedback, ask the person who runs the project for a new request."
            ),
        ) from exc
    except signing.BadSignature as exc:
        raise RatingUnavailable(
            "forged", _("This rating link is not valid. Check that you copied the whole link.")
        ) from exc
    org_id, _sep, request_id = value.partition(":")
    org = Organization.objects.filter(pk=int(org_id), is_active=True).first()
    if org is None or not request_id.isdigit():
        raise RatingUnavailable("gone", _("This rating request no longer exists."))
    return RatingLink(org=org, request_id=int(request_id))
