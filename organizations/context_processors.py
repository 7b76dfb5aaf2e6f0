from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from organizations.roles import active_role


def tenant(request: HttpRequest) -> dict[str, Any]:
    org = getattr(request, "org", None)
    membership = getattr(request, "membership", None)
    return {
        "org": org,
        "membership": membership,
        "active_role": active_role(request) if membership is not None else None,
    }
