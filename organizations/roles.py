"""Which role a member is acting in. A member may hold several and switch between them."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest

from organizations.http import TenantRequest
from organizations.models import Role

_SESSION_KEY = "pathwise_role_{org_id}"


def active_role(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    if membership is None:
        return None
    roles = membership.roles
    if not roles:
        return None
    chosen = request.session.get(_SESSION_KEY.format(org_id=membership.organization_id))
    return chosen if chosen in roles else roles[0]


def set_active_role(request: TenantRequest, role: str) -> bool:
    membership = request.membership
    if role not in membership.roles:
        return False
    key = _SESSION_KEY.format(org_id=membership.organization_id)
    if request.session.get(key) != role:
        from organizations.accounts.services import record_event
        from organizations.models import SecurityEvent

        record_event(
            SecurityEvent.Kind.ROLE_SWITCHED,
            request=request,
            user=request.user,
            organization=request.org,
            role=role,
        )
    request.session[key] = role
    return True


def role_required(*roles: str) -> Any:
    """View decorator: the member must hold one of ``roles`` in this organisation, else 404."""

    def decorator(view: Any) -> Any:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            membership = getattr(request, "membership", None)
            if membership is None or not any(membership.has_role(r) for r in roles):
                raise Http404("Not available for your role.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


ROLE_LABELS = dict(Role.choices)
