"""Organisations (tenants), users (global, e-mail login), memberships with roles, teams, audit."""

from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class Role(models.TextChoices):
    ADMIN = "admin", _("HR admin")
    LEARNER = "learner", _("Learner")
    COACH = "coach", _("Coach")
    SPONSOR = "sponsor", _("Sponsor")


class Organization(models.Model):
    """A tenant. Global table: users may belong to several organisations."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    desired_retention = models.FloatField(
        default=0.9, validators=[MinValueValidator(0.7), MaxValueValidator(0.97)]
    )
    anonymity_threshold = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(3), MaxValueValidator(10)]
    )
    comment_threshold = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(3), MaxValueValidator(20)]
    )
    # Sign members out after this many minutes without a request (None: the session's own
    # lifetime, two weeks).
    session_idle_minutes = models.PositiveIntegerField(
        _("sign out after minutes idle"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(60 * 24 * 14)],
    )

    class MfaRequirement(models.TextChoices):
        NOBODY = "nobody", _("Nobody (each person may turn it on)")
        ADMINS = "admins", _("HR admins")
        EVERYONE = "everyone", _("Everyone")

    mfa_required = models.CharField(
        _("two-step sign-in required for"),
        max_length=10,
        choices=MfaRequirement.choices,
        default=MfaRequirement.NOBODY,
    )
    # Raw answers and comments behind frozen reports are deleted this many days after the
    # report froze (None: kept while the organisation uses Pathwise).
    retention_days = models.PositiveIntegerField(
        _("keep raw answers for (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, blank=True)
    email_reminders = models.BooleanField(_("daily practice reminders by e-mail"), default=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # Addresses are stored in lower case; this keeps a second spelling of one out too.
            models.UniqueConstraint(Lower("email"), name="user_unique_email_ci")
        ]
        # Lists of people by name (people, a cohort's learners, a coach's roster) walk this
        # index in order and stop at their page, whatever the number of people.
        indexes = [
            models.Index(fields=["full_name", "email", "id"], name="user_name_order"),
            # The people not invited or invited but not joined yet (no usable password): the
            # people page counts them and lists them by name from this index alone, not by
            # reading every person. Few rows: people leave it when they set a password.
            models.Index(
                fields=["full_name", "email", "id"],
                condition=models.Q(password__startswith="!"),
                name="user_no_password",
            ),
        ]
        # On PostgreSQL, migration 0017 also adds trigram indexes on full_name and email for the
        # people search (``ILIKE '%text%'``), where the pg_trgm extension can be created.

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class Team(TenantModel):
    """An org unit. Teams nest through ``parent``; ``manager`` is a membership."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    manager = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(F("organization"), Lower("name"), name="team_unique_name_ci")
        ]
        # The teams page: a level's teams by name, a page at a time, and each team's sub-teams.
        indexes = [
            models.Index(
                fields=["organization", "parent", "name", "id"], name="team_org_parent_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's place in an organisation, with a set of roles."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    is_admin = models.BooleanField(_("HR admin"), default=False)
    is_learner = models.BooleanField(_("learner"), default=False)
    is_coach = models.BooleanField(_("coach"), default=False)
    is_sponsor = models.BooleanField(_("sponsor"), default=False)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    function = models.CharField(_("function"), max_length=100, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user")
        ]
        indexes = [
            models.Index(fields=["organization", "team"], name="membership_org_team"),
            # The few deactivated people: programme health and the cohort page subtract their
            # enrolments from a cohort's count instead of joining every enrolment to its person.
            models.Index(
                fields=["organization"],
                condition=models.Q(is_active=False),
                name="membership_inactive",
            ),
            # A page of teams counts its teams' active members from this index alone: with the
            # person's account in it, which the row-level security policy on memberships reads
            # (a member may read their own), so that counting needs no table read per member.
            models.Index(
                fields=["organization", "team"],
                include=["user"],
                condition=models.Q(is_active=True),
                name="membership_org_team_active",
            ),
            # The people filter's functions, skipped through value by value.
            models.Index(fields=["organization", "function"], name="membership_org_function"),
            # The few coaches and sponsors (a cohort's staff choices), without reading everyone.
            models.Index(
                fields=["organization"],
                condition=models.Q(is_active=True)
                & (models.Q(is_coach=True) | models.Q(is_sponsor=True)),
                name="membership_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization_id}"

    @property
    def roles(self) -> list[str]:
        return [
            role
            for role, held in (
                (Role.ADMIN, self.is_admin),
                (Role.SPONSOR, self.is_sponsor),
                (Role.COACH, self.is_coach),
                (Role.LEARNER, self.is_learner),
            )
            if held
        ]

    def has_role(self, role: str) -> bool:
        return role in self.roles


class PeopleCounts(TenantModel):
    """An organisation's members counted, as the people page shows them unfiltered, by role
    and deactivated: one row an organisation.

    Kept by PostgreSQL statement triggers on memberships (migration 0020), in the same
    transaction as the change, whatever code makes it (an invitation, a people import, a role
    changed, a person switched off or on, an erasure, the demo's bulk inserts), each change an
    ``n = n + delta`` on the locked row, so that two writes at once both count. The page reads
    this row instead of counting the members (``organizations.people.counts``); the nightly
    roll-up repairs any drift. Elsewhere (SQLite) the members are counted.
    """

    members = models.IntegerField(default=0)
    deactivated = models.IntegerField(default=0)
    # Members holding each role (active or not, as the role filter lists them).
    admins = models.IntegerField(default=0)
    sponsors = models.IntegerField(default=0)
    coaches = models.IntegerField(default=0)
    learners = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="peoplecounts_unique")]


class TeamCounts(TenantModel):
    """A team's active members counted, as the teams page shows them: one row a team.

    Kept like ``PeopleCounts``: PostgreSQL statement triggers on teams and memberships
    (migration 0021), in the same transaction as the change, whatever code makes it (a person
    added to a team or moved to another, by the person's form or a people import, a person
    switched off or on, a membership deleted, a team deleted, the demo's bulk inserts), each
    change an ``n = n + delta`` on the team's locked row, so that two writes at once both
    count. The teams page reads this row (``organizations.people.team_counts``) instead of
    counting the team's members; the nightly roll-up repairs any drift. Elsewhere (SQLite) the
    members are counted.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    # Active memberships whose team is this one.
    active = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "team"], name="teamcounts_unique")
        ]


class AuditEntry(TenantModel):
    """Who changed what, when, with the state before and after. Append-only."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="audit_org_time"),
            # The audit log's filter choices, skipped through value by value.
            models.Index(fields=["organization", "actor"], name="audit_org_actor"),
            models.Index(fields=["organization", "object_type"], name="audit_org_object_type"),
            models.Index(fields=["organization", "action"], name="audit_org_action"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_repr}"


class Invitation(TenantModel):
    """An e-mailed, signed, expiring link that lets a person set a password and join.

    For a new account the membership exists from the start (the admin manages the person
    while they are invited). An existing Pathwise account is only *asked* to join: ``membership``
    stays empty, ``user`` names the account and ``terms`` holds the roles and details offered,
    until the person accepts and the membership is created.
    """

    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="join_invitations"
    )
    terms = models.JSONField(default=dict, blank=True)
    email = models.EmailField()
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]


class ImportJob(TenantModel):
    """A CSV import of people: validated in full first, then applied all-or-nothing."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Checked, waiting for confirmation")
        REFUSED = "refused", _("Refused: the file has problems")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When a running import last moved on (started, or a batch checked): one that has not moved
    # for ``outbox.delivery.ABANDONED_AFTER`` is marked failed by the outbox sweep, and the admin can start it again.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ApiKey(TenantModel):
    """A named key an admin created for an integration. Only a SHA-256 of the secret is kept
    (the secret is random, 256 bits, so a slow hash adds nothing); the full key is shown once.

    A key acts as the admin who created it, limited to the ``admin`` role and to its scope, and
    stops working when that person stops being an active admin, when it expires or is revoked.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    secret_sha256 = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="api_keys")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "prefix"], name="apikey_unique_prefix"),
            models.UniqueConstraint(F("organization"), Lower("name"), name="apikey_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    def state(self, now: Any = None) -> str:
        """``active``, ``revoked`` or ``expired``."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class SecurityEvent(models.Model):
    """Something a security reviewer asks about: sign-ins, failures, lockouts, password changes,
    role switches, invitations accepted, sessions ended. Global (an account is global), append-only.

    ``organization`` is set for events that happen inside one organisation (a role switch, an
    invitation accepted); account events (sign-in, password) leave it empty and are shown to the
    admins of every organisation the person belongs to, and to the person.
    """

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        LOCKED_OUT = "locked_out", _("Sign-in refused: too many failures")
        SIGNED_OUT = "signed_out", _("Signed out")
        SIGNED_OUT_EVERYWHERE = "signed_out_everywhere", _("Signed out everywhere")
        SESSION_IDLE = "session_idle", _("Signed out after idle time")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
        PASSWORD_RESET = "password_reset", _("Password reset by e-mail link")
        ROLE_SWITCHED = "role_switched", _("Switched role")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        MFA_ENABLED = "mfa_enabled", _("Two-step sign-in turned on")
        MFA_DISABLED = "mfa_disabled", _("Two-step sign-in turned off")
        MFA_FAILED = "mfa_failed", _("Wrong sign-in code")
        RECOVERY_CODE_USED = "recovery_code_used", _("Signed in with a recovery code")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("New recovery codes made")
        SSO_SIGNED_IN = "sso_signed_in", _("Signed in with single sign-on")
        SSO_ACCOUNT_CREATED = "sso_account_created", _("Joined through single sign-on")
        SSO_REFUSED = "sso_refused", _("Single sign-on refused")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="security_events"
    )
    # The address typed at sign-in, kept for failures against addresses with no account.
    email = models.CharField(max_length=254, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="secevent_user_time"),
            # An organisation's events, newest first, a page at a time.
            models.Index(fields=["-created_at", "-id"], name="secevent_time"),
            models.Index(fields=["email", "kind", "created_at"], name="secevent_email_kind"),
            models.Index(fields=["ip_address", "kind", "created_at"], name="secevent_ip_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.email or self.user_id}"


class UserSession(models.Model):
    """One signed-in browser: lets a person see where they are signed in and end it.

    Global (sessions belong to accounts). The row goes when the session is signed out.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="usersession_user_seen")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.session_key[:6]}"


class OrganizationSSO(models.Model):
    """An organisation's OpenID Connect sign-in. Global: it is read before any organisation is
    chosen (at sign-in, by the person's e-mail domain). The issuer, client id and secret live
    in allauth's ``SocialApp`` (provider ``openid_connect``)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="sso")
    social_app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.PROTECT, related_name="+"
    )
    default_role = models.CharField(
        _("role for people who join through it"),
        max_length=10,
        choices=Role.choices,
        default=Role.LEARNER,
    )
    password_sign_in_disabled = models.BooleanField(
        _("switch off password sign-in for these domains"), default=False
    )
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"SSO {self.organization_id}"


class SSODomain(models.Model):
    """An e-mail domain served by one organisation's single sign-on (one organisation each)."""

    sso = models.ForeignKey(OrganizationSSO, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class DataExport(models.Model):
    """A person's copy of everything Pathwise holds about them (GDPR access), built as a zip
    by a background job. Global: it spans every organisation the person belongs to."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    parts_done = models.PositiveIntegerField(default=0)
    parts_total = models.PositiveIntegerField(default=0)
    content = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id}"

    @property
    def percent(self) -> int:
        return round(100 * self.parts_done / self.parts_total) if self.parts_total else 0


class ErasureReceipt(TenantModel):
    """What was erased when a person was erased from an organisation. Holds no personal data:
    the membership that remains is anonymous, the items are counts."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    erased_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    account_deleted = models.BooleanField(default=False)
    items = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at"]
