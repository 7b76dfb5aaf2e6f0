"""A person's security page (sessions, events, sign out everywhere), the password views that
record events, and an organisation's security events and settings (HR admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.accounts import queries, services
from organizations.accounts.forms import SecuritySettingsForm
from organizations.forms import QueuedPasswordResetForm
from organizations.http import AuthenticatedRequest, TenantRequest
from organizations.roles import role_required


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        previous_key = self.request.session.session_key  # Django rotates it on the change
        response = super().form_valid(form)
        services.do_password_changed(
            self.request, form.user, by_reset=False, previous_key=previous_key
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.do_password_changed(self.request, form.user, by_reset=True)
        return response


@login_required
def my_security(request: AuthenticatedRequest) -> HttpResponse:
    sessions = queries.own_sessions(request.user, request.session.session_key)
    page, events = queries.own_events_page(request.user, request.GET.get("page"))
    return render(
        request,
        "organizations/accounts/my_security.html",
        {"sessions": sessions, "page": page, "events": events},
    )


@require_POST
@login_required
def sign_out_everywhere(request: AuthenticatedRequest) -> HttpResponse:
    ended = services.do_sign_out_everywhere(request, request.user, keep_current=True)
    messages.success(
        request,
        _("Signed out of %(n)s other browser(s). This one stays signed in.") % {"n": ended},
    )
    return redirect("my_security")


@require_POST
@login_required
def end_session(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    if not services.do_end_session_by_id(request, request.user, session_id):
        raise Http404(_("No such session: it may have ended already."))
    messages.success(request, _("That browser is signed out."))
    return redirect("my_security")


@role_required("admin")
def organization_events(request: TenantRequest, org_slug: str) -> HttpResponse:
    page, events = queries.organization_events_page(request.org, request.GET.get("page"))
    return render(
        request, "organizations/accounts/org_events.html", {"page": page, "events": events}
    )


@role_required("admin")
def security_settings(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = SecuritySettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        services.do_update_security_settings(
            request.user,
            request.org,
            session_idle_minutes=form.cleaned_data["session_idle_minutes"],
        )
        messages.success(request, _("Security settings saved."))
        return redirect("security_settings", org_slug=org_slug)
    return render(request, "organizations/accounts/security_settings.html", {"form": form})
