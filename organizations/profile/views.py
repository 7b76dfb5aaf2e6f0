from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from organizations.http import TenantRequest
from organizations.profile.forms import ProfileForm
from organizations.profile.services import do_update_profile


@require_http_methods(["GET", "POST"])
def profile(request: TenantRequest, org_slug: str) -> HttpResponse:
    """Any member's own profile, in the organisation they are working in."""
    user = request.user
    initial = {
        "full_name": user.full_name,
        "time_zone": user.time_zone,
        "email_reminders": user.email_reminders,
    }
    form = ProfileForm(request.POST or None, initial=initial, org_time_zone=request.org.time_zone)
    if request.method == "POST" and form.is_valid():
        try:
            changed = do_update_profile(user, **form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request, _("Your profile is saved.") if changed else _("Nothing changed.")
            )
            return redirect("profile", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(request, "organizations/profile/profile.html", {"form": form}, status=status)
