"""Single sign-on per organisation with OpenID Connect, through allauth's ``openid_connect``
provider (one ``SocialApp`` per organisation, ``provider_id`` ``pathwise-<slug>``).

Rules: an organisation names the e-mail domains its provider serves (each domain belongs to one
organisation). A person of those domains may sign in through it; a new one gets an account and
a membership with the organisation's default role (just in time). An existing account is signed
in only if it is already a member of that organisation: a provider is never trusted to take over
an account another organisation brought. Password sign-in can be switched off for the domains.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.accounts import services
from organizations.models import Membership, OrganizationSSO, Role, SecurityEvent, SSODomain, User
from organizations.tenancy import tenant_context, user_context

Kind = SecurityEvent.Kind
PROVIDER = "openid_connect"
SESSION_ORG_KEY = "pathwise_sso_org"


def provider_id_for(slug: str) -> str:
    return f"pathwise-{slug}"


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def sso_for_email(email: str) -> OrganizationSSO | None:
    """The active single sign-on that serves ``email``'s domain, if any (1 query)."""
    found = (
        SSODomain.objects.select_related("sso__organization", "sso__social_app")
        .filter(domain=domain_of(email), sso__is_active=True, sso__organization__is_active=True)
        .first()
    )
    return found.sso if found is not None else None


def check_password_sign_in(email: str) -> None:
    """Refuse a password for an address whose organisation switched passwords off."""
    sso = sso_for_email(email)
    if sso is not None and sso.password_sign_in_disabled:
        raise ValidationError(
            _(
                "%(org)s signs you in with its own single sign-on. Use “Sign in with your "
                "organisation” below."
            )
            % {"org": sso.organization.name},
            code="sso_only",
        )


def _sso_for_app(app: SocialApp) -> OrganizationSSO | None:
    return (
        OrganizationSSO.objects.select_related("organization")
        .filter(social_app=app, is_active=True, organization__is_active=True)
        .first()
    )


def _refuse(request: HttpRequest, message: str, email: str = "") -> None:
    services.record_event(Kind.SSO_REFUSED, request=request, email=email, reason=message)
    response: HttpResponse = render(
        request, "registration/sso_refused.html", {"message": message}, status=403
    )
    raise ImmediateHttpResponse(response)


def _is_member(user: User, org_id: int) -> bool:
    with user_context(user.pk):
        return (
            Membership.objects.unscoped()
            .filter(user_id=user.pk, organization_id=org_id, is_active=True)
            .exists()
        )


class OrganizationSSOAdapter(DefaultSocialAccountAdapter):
    """allauth hooks that apply the organisation's rules to an OpenID Connect sign-in."""

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        sso = _sso_for_app(sociallogin.account.get_provider().app)
        email = (sociallogin.user.email or "").strip().lower()
        if sso is None:
            _refuse(request, _("This single sign-on is not in use any more."), email)
            return
        served = set(sso.domains.values_list("domain", flat=True))
        if not email or domain_of(email) not in served:
            _refuse(
                request,
                _("%(org)s's single sign-on does not serve the address %(email)s.")
                % {"org": sso.organization.name, "email": email or "—"},
                email,
            )
        verified = [a for a in sociallogin.email_addresses if a.email.lower() == email]
        if verified and not verified[0].verified:
            _refuse(request, _("Your organisation has not verified this e-mail address."), email)
        request.session[SESSION_ORG_KEY] = sso.organization_id
        if sociallogin.is_existing:
            if not _is_member(sociallogin.user, sso.organization_id):
                _refuse(
                    request, _("Your access to this organisation has been switched off."), email
                )
            return
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            # Only an account the organisation itself holds may be linked to its provider.
            if not _is_member(existing, sso.organization_id):
                _refuse(
                    request,
                    _(
                        "You already have a Pathwise account with this address. Sign in with "
                        "your password, or ask %(org)s's HR team to invite you."
                    )
                    % {"org": sso.organization.name},
                    email,
                )
            sociallogin.connect(request, existing)

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return _sso_for_app(sociallogin.account.get_provider().app) is not None

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: Any) -> bool:
        return True

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").lower()
        name = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.full_name = (data.get("name") or name or "")[:200]
        return user

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        """A new account, just in time, and its membership with the default role."""
        sso = _sso_for_app(sociallogin.account.get_provider().app)
        if sso is None:
            _refuse(request, _("This single sign-on is not in use any more."))
            raise AssertionError("unreachable")
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            with tenant_context(sso.organization):
                Membership.objects.create(user=user, **{f"is_{sso.default_role}": True})
            services.record_event(
                Kind.SSO_ACCOUNT_CREATED,
                request=request,
                user=user,
                organization=sso.organization,
                role=sso.default_role,
            )
        return user


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up by themselves (people arrive by invitation or single sign-on), and
    allauth's own login stages are not used: our sign-in flow handles the second step."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        return []

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        org_id = request.session.pop(SESSION_ORG_KEY, None)
        if kwargs.get("signal_kwargs", {}).get("sociallogin") is not None or org_id:
            # The organisation's provider did the strong authentication it is trusted for.
            from organizations.accounts.mfa import VERIFIED_KEY

            request.session[VERIFIED_KEY] = True
            services.record_event(Kind.SSO_SIGNED_IN, request=request, user=user)
        return response

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("org_picker")


# --- Configuration by the organisation's admin --------------------------------------------------


def parse_domains(text: str) -> list[str]:
    domains = sorted({d.strip().lower().lstrip("@") for d in text.replace(",", " ").split()})
    for d in domains:
        if "." not in d or any(c in d for c in "/:@ "):
            raise ValidationError(_("“%s” is not an e-mail domain such as example.com.") % d)
    return domains


def do_save_sso(
    actor: User,
    org: Any,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    domains: list[str],
    default_role: str,
    password_sign_in_disabled: bool,
    is_active: bool,
) -> OrganizationSSO:
    """Create or update the organisation's OpenID Connect sign-in. A blank secret keeps the
    stored one. Refuses domains another organisation's sign-on already serves."""
    from organizations.audit import record_change

    if default_role not in Role.values:
        raise ValidationError(_("Choose a role for people who join through single sign-on."))
    with transaction.atomic():
        sso = OrganizationSSO.objects.select_for_update().filter(organization=org).first()
        taken = SSODomain.objects.filter(domain__in=domains)
        if sso is not None:
            taken = taken.exclude(sso=sso)
        clash = list(taken.values_list("domain", flat=True))
        if clash:
            raise ValidationError(
                _("%s is already served by another single sign-on; ask Pathwise support.")
                % ", ".join(clash)
            )
        if sso is None:
            if not client_secret:
                raise ValidationError(_("Enter the client secret your provider gave you."))
            app = SocialApp.objects.create(
                provider=PROVIDER,
                provider_id=provider_id_for(org.slug),
                name=org.name,
                client_id=client_id,
                secret=client_secret,
                settings={"server_url": issuer},
            )
            sso = OrganizationSSO(organization=org, social_app=app)
        else:
            app = sso.social_app
            app.client_id, app.settings = client_id, {"server_url": issuer}
            if client_secret:
                app.secret = client_secret
            app.save()
        sso.default_role = default_role
        sso.password_sign_in_disabled = password_sign_in_disabled
        sso.is_active = is_active
        sso.updated_at = timezone.now()
        sso.save()
        sso.domains.exclude(domain__in=domains).delete()
        existing = set(sso.domains.values_list("domain", flat=True))
        SSODomain.objects.bulk_create(
            [SSODomain(sso=sso, domain=d) for d in domains if d not in existing]
        )
        record_change(
            actor,
            "updated",
            org,
            object_type="Single sign-on",
            object_repr=org.name,
            after={
                "issuer": issuer,
                "client_id": client_id,
                "domains": domains,
                "default_role": default_role,
                "password_sign_in_disabled": password_sign_in_disabled,
                "is_active": is_active,
                "secret_changed": bool(client_secret),
            },
        )
    return sso
