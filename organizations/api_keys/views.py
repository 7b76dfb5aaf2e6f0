"""The admin's API keys page: create a key (shown once), see when each was last used, revoke."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.api_keys import queries, services
from organizations.api_keys.forms import ApiKeyForm
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.models import ApiKey
from organizations.roles import role_required


def _start_of_day(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _show_errors(form: ApiKeyForm, exc: ValidationError) -> None:
    """Put a service's errors next to the form's fields (``expires_at`` is ``expires_on``)."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.message_dict.items():
        name = "expires_on" if field == "expires_at" else field
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@role_required("admin")
def api_keys(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            created = services.do_create_key(
                request.membership, d["name"], d["scope"], _start_of_day(d["expires_on"])
            )
        except ValidationError as exc:
            _show_errors(form, exc)
        else:
            form = ApiKeyForm()
    keys = queries.key_rows()
    fmt = requested_format(request)
    if fmt is not None and request.method != "POST":
        rows = queries.key_export_rows(keys)
        return tabular_response(fmt, f"{org_slug}-api-keys", queries.KEY_EXPORT_HEADERS, rows)
    context = {"form": form, "keys": keys, "created": created}
    return render(request, "organizations/api_keys.html", context)


@require_POST
@role_required("admin")
def api_key_revoke(request: TenantRequest, org_slug: str, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id)
    services.do_revoke_key(request.membership, key.pk)
    messages.success(request, _("Revoked the key “%s”. It no longer works.") % key.name)
    return redirect("api_keys", org_slug=org_slug)
