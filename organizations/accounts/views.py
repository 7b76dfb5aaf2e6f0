"""A person's security page (sessions, events, sign out everywhere), the password views that
record events, and an organisation's security events and settings (HR admin)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.accounts import mfa, queries, services, sso, tables
from organizations.accounts.forms import (
    CodeForm,
    OwnNameForm,
    SecuritySettingsForm,
    SSOSettingsForm,
)
from organizations.exports import requested_format, tabular_response
from organizations.forms import EmailAuthenticationForm, QueuedPasswordResetForm, SSOStartForm
from organizations.http import AuthenticatedRequest, TenantRequest
from organizations.roles import role_required


def _safe_next(request: HttpRequest, fallback: str = "org_picker") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


class SignInView(auth_views.LoginView):
    """E-mail and password; then the code, for an account with two-step sign-in; then its
    set-up, for a person an organisation requires it of."""

    authentication_form = EmailAuthenticationForm

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if mfa.has_totp(user):
            mfa.start_second_step(self.request, user, user.backend)
            return redirect(
                reverse("mfa_sign_in") + "?" + urlencode({"next": self.get_success_url()})
            )
        response = super().form_valid(form)
        if mfa.organizations_requiring_mfa(user):
            messages.info(
                self.request,
                _("Your organisation asks you to turn on two-step sign-in. It takes a minute."),
            )
            return redirect(
                reverse("mfa_settings") + "?" + urlencode({"next": self.get_success_url()})
            )
        return response


def mfa_sign_in(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app or a recovery code."""
    if mfa.pending_user(request) is None:
        messages.info(request, _("Please sign in again."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mfa.do_finish_second_step(request, form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code" if exc.code == "wrong_code" else None, exc)
        else:
            return redirect(_safe_next(request))
    return render(
        request, "registration/mfa_sign_in.html", {"form": form, "next": _safe_next(request)}
    )


@login_required
def mfa_settings(request: AuthenticatedRequest) -> HttpResponse:
    """Turn on two-step sign-in (scan, confirm a code, keep the recovery codes), or see it is
    on; a session signed in before it was required confirms a code here."""
    user = request.user
    enrolled = mfa.has_totp(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if enrolled:
                mfa.do_verify_session(request, user, form.cleaned_data["code"])
                return redirect(_safe_next(request))
            codes = mfa.do_enable_totp(request, user, form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            return render(
                request,
                "organizations/accounts/recovery_codes.html",
                {"codes": codes, "next": _safe_next(request)},
            )
    context: dict[str, Any] = {
        "form": form,
        "enrolled": enrolled,
        "verified": mfa.session_is_verified(request),
        "required_by": mfa.organizations_requiring_mfa(user),
        "next": _safe_next(request, "my_security"),
    }
    if not enrolled:
        secret = mfa.setup_secret(request)
        adapter = mfa.EncryptingMFAAdapter()
        url = adapter.build_totp_url(user, secret)
        context |= {"secret": secret, "totp_url": url, "qr_svg": adapter.build_totp_svg(url)}
    return render(request, "organizations/accounts/mfa_settings.html", context)


@require_POST
@login_required
def mfa_renew_codes(request: AuthenticatedRequest) -> HttpResponse:
    if not mfa.has_totp(request.user):
        return redirect("mfa_settings")
    codes = mfa.do_renew_recovery_codes(request, request.user)
    return render(
        request,
        "organizations/accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("my_security")},
    )


@require_POST
@login_required
def mfa_disable(request: AuthenticatedRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Enter a current code to turn two-step sign-in off."))
        mfa.do_disable_mfa(request, request.user, form.cleaned_data["code"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Two-step sign-in is off."))
    return redirect("mfa_settings")


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
    fmt = requested_format(request)
    if fmt is not None:  # the person's own activity
        rows = queries.event_export_rows(queries.own_events(request.user))
        return tabular_response(fmt, "my-security-events", queries.EVENT_EXPORT_HEADERS, rows)
    sessions = queries.own_sessions(request.user, request.session.session_key)
    page, events = queries.own_events_page(request.user, request.GET.get("page"))
    return render(
        request,
        "organizations/accounts/my_security.html",
        {
            "sessions": sessions,
            "page": page,
            "events": tables.event_table(events, show_person=False),
            "mfa_on": mfa.has_totp(request.user),
            "name_form": OwnNameForm(initial={"full_name": request.user.full_name}),
        },
    )


@require_POST
@login_required
def change_own_name(request: AuthenticatedRequest) -> HttpResponse:
    form = OwnNameForm(request.POST)
    if form.is_valid():
        services.do_change_own_name(request.user, form.cleaned_data["full_name"])
        messages.success(request, _("Your name is changed everywhere you use Pathwise."))
    else:
        messages.error(request, _("Enter your name (up to 200 characters)."))
    return redirect("my_security")


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
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.event_export_rows(queries.organization_events(request.org))
        name = f"{org_slug}-security-events"
        return tabular_response(fmt, name, queries.EVENT_EXPORT_HEADERS, rows)
    page, events = queries.organization_events_page(request.org, request.GET.get("page"))
    context = {"page": page, "events": tables.event_table(events, show_person=True)}
    return render(request, "organizations/accounts/org_events.html", context)


@role_required("admin")
def security_settings(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = SecuritySettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        services.do_update_security_settings(
            request.user,
            request.org,
            session_idle_minutes=form.cleaned_data["session_idle_minutes"],
            mfa_required=form.cleaned_data["mfa_required"],
            retention_days=form.cleaned_data["retention_days"],
        )
        messages.success(request, _("Security settings saved."))
        return redirect("security_settings", org_slug=org_slug)
    return render(request, "organizations/accounts/security_settings.html", {"form": form})


def sso_start(request: HttpRequest) -> HttpResponse:
    """Sign in with your organisation: the e-mail domain picks the organisation's provider."""
    form = SSOStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        found = sso.sso_for_email(form.cleaned_data["email"])
        if found is None:
            form.add_error(
                "email",
                _("No organisation signs in this address with single sign-on. Use your password."),
            )
        else:
            from allauth.socialaccount.providers.openid_connect import views as oidc

            # allauth's own view starts the flow (state, nonce, PKCE) for this POST.
            return oidc.login(request, found.social_app.provider_id)
    return render(request, "registration/sso_start.html", {"form": form})


@role_required("admin")
def sso_settings(request: TenantRequest, org_slug: str) -> HttpResponse:
    current = queries.sso_settings(request.org)
    form = SSOSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sso.do_save_sso(
                request.user,
                request.org,
                issuer=d["issuer"],
                client_id=d["client_id"],
                client_secret=d["client_secret"],
                domains=d["domains"],
                default_role=d["default_role"],
                password_sign_in_disabled=d["password_sign_in_disabled"],
                is_active=d["is_active"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Single sign-on saved."))
            return redirect("sso_settings", org_slug=org_slug)
    callback = request.build_absolute_uri(
        reverse("openid_connect_callback", args=[sso.provider_id_for(request.org.slug)])
    )
    return render(
        request,
        "organizations/accounts/sso_settings.html",
        {"form": form, "configured": current is not None, "callback_url": callback},
    )


def sso_problem(request: HttpRequest, reason: str) -> HttpResponse:
    """Where allauth sends a single sign-on that failed, was cancelled, or could not create an
    account on its own (allauth's own pages for these are not used)."""
    text = {
        "error": _("Your organisation's sign-in page reported a problem. Please try again."),
        "cancelled": _("You cancelled signing in with your organisation."),
        "signup": _(
            "We could not set up your account from your organisation's sign-in. Ask your HR "
            "team to invite you."
        ),
    }[reason]
    request.session.pop("socialaccount_sociallogin", None)
    return render(request, "registration/sso_refused.html", {"message": text}, status=400)
