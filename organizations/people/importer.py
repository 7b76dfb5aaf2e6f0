"""The people importer: parse a CSV, check every row, plan the changes, apply them at once.

The same code serves the upload page, the Celery job for large files and the
``import_people`` management command (nightly HRIS feeds). Nothing is written until
``apply_plan`` runs, and it writes everything in one transaction or nothing. Applying the same
file twice changes nothing the second time: the plan compares the file with the organisation and
only lists real differences.

Row numbers follow the spreadsheet: the header is row 1, the first person is row 2.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations import tabular
from organizations.audit import record_change
from organizations.integrity import refuse_duplicate
from organizations.models import AuditEntry, Membership, Role, Team, User

REQUIRED_COLUMNS = ("email", "name")
OPTIONAL_COLUMNS = ("title", "function", "team", "manager_email", "roles")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
ROLE_NAMES = tuple(Role.values)
ROLE_FIELDS = {
    Role.ADMIN: "is_admin",
    Role.LEARNER: "is_learner",
    Role.COACH: "is_coach",
    Role.SPONSOR: "is_sponsor",
}
# Larger files run as a background job with a progress bar.
SYNC_ROW_LIMIT = 500
MAX_LENGTHS = {"name": 200, "title": 200, "function": 100, "team": 200}
# Fields compared between the file and the organisation, in the order the summary lists them.
TRACKED_FIELDS = ("name", "title", "function", "team", "manager", "roles")


@dataclass
class Problem:
    row: int | None
    column: str | None
    message: str

    def as_text(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class PersonRow:
    number: int
    email: str
    name: str
    title: str | None
    function: str | None
    team: str | None
    manager_email: str | None
    roles: list[str] | None  # None: keep the person's roles (learner for someone new)


@dataclass
class ParsedFile:
    columns: list[str] = field(default_factory=list)
    rows: list[PersonRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class PersonChange:
    email: str
    name: str
    is_new: bool
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after), readable values


@dataclass
class ImportPlan:
    parsed: ParsedFile
    problems: list[Problem]
    warnings: list[Problem]
    new_people: list[PersonChange]
    updated_people: list[PersonChange]
    unchanged: int
    teams_to_create: list[str]

    @property
    def refused(self) -> bool:
        return bool(self.problems)

    @property
    def change_count(self) -> int:
        return len(self.new_people) + len(self.updated_people) + len(self.teams_to_create)

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary kept on the ImportJob and printed by the command."""
        return {
            "rows": len(self.parsed.rows),
            "new": len(self.new_people),
            "updated": len(self.updated_people),
            "unchanged": self.unchanged,
            "teams_to_create": self.teams_to_create,
            "changes": self.change_count,
            "new_people": [{"email": p.email, "name": p.name} for p in self.new_people[:200]],
            "updated_people": [
                {
                    "email": p.email,
                    "name": p.name,
                    "changes": {k: [str(b), str(a)] for k, (b, a) in p.changes.items()},
                }
                for p in self.updated_people[:200]
            ],
            "warnings": [asdict(w) for w in self.warnings],
        }


def problems_as_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [asdict(p) for p in problems]


# --- Parsing and row checks (no database) -----------------------------------------------------


def _split_roles(raw: str) -> list[str]:
    parts = raw.replace("|", ";").replace(",", ";").split(";")
    return [p.strip().lower() for p in parts if p.strip()]


def parse_people_csv(content: str) -> ParsedFile:
    """Read the header and rows (decoded text: see ``organizations.tabular``). Problems with the
    file itself (empty, missing columns) and rows that cannot be matched to the header (too few
    or too many cells, broken quoting) stop here; row-level checks of the values are
    ``check_row``'s job so the background job can run them in batches.

    A row with fewer cells than the header is refused, never padded: reading the missing cells
    as empty would clear those fields of an existing person."""
    parsed = ParsedFile()
    if not content.strip():
        parsed.problems.append(
            Problem(None, None, _("The file is empty: it needs a header row and one row a person."))
        )
        return parsed
    try:
        table = tabular.read_csv(content)
    except tabular.FileRefused as refused:
        parsed.problems.append(Problem(refused.row, None, refused.message))
        return parsed
    header = table.header
    header_row = table.header_row
    columns = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    columns = ["email" if c in {"e_mail", "email_address"} else c for c in columns]
    parsed.columns = columns
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            parsed.problems.append(
                Problem(
                    header_row,
                    required,
                    _("The required column “%(column)s” is missing. The header must name: %(all)s.")
                    % {"column": required, "all": ", ".join(KNOWN_COLUMNS)},
                )
            )
    for index, column in enumerate(columns):
        if column and column not in KNOWN_COLUMNS:
            parsed.warnings.append(
                Problem(
                    header_row,
                    header[index].strip(),
                    _("Unknown column, ignored. Known columns: %s.") % ", ".join(KNOWN_COLUMNS),
                )
            )
        elif column and columns.index(column) != index:
            parsed.problems.append(
                Problem(header_row, column, _("The column appears twice in the header."))
            )
    if parsed.problems:
        return parsed
    present = set(columns)
    for table_row in table.rows:
        number = table_row.number
        if table_row.problem:
            parsed.problems.append(Problem(number, None, table_row.problem))
            continue
        cells = dict(zip(columns, (v.strip() for v in table_row.cells), strict=True))
        parsed.rows.append(
            PersonRow(
                number=number,
                email=cells.get("email", "").lower(),
                name=cells.get("name", ""),
                title=cells.get("title", "") if "title" in present else None,
                function=cells.get("function", "") if "function" in present else None,
                team=cells.get("team", "") if "team" in present else None,
                manager_email=(
                    cells.get("manager_email", "").lower() if "manager_email" in present else None
                ),
                roles=(
                    _split_roles(cells.get("roles", "")) or None if "roles" in present else None
                ),
            )
        )
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(
            Problem(None, None, _("The file has a header row but nobody in it."))
        )
    return parsed


def check_row(row: PersonRow) -> list[Problem]:
    """Checks that need only the row itself."""
    problems: list[Problem] = []
    if not row.email:
        problems.append(Problem(row.number, "email", _("The e-mail address is empty.")))
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            problems.append(
                Problem(
                    row.number,
                    "email",
                    _("“%s” is not a valid e-mail address.") % row.email,
                )
            )
    if not row.name:
        problems.append(Problem(row.number, "name", _("The name is empty.")))
    for column, limit in MAX_LENGTHS.items():
        value = row.name if column == "name" else getattr(row, column)
        if value and len(value) > limit:
            problems.append(
                Problem(
                    row.number,
                    column,
                    _("Too long: %(length)s characters, at most %(limit)s.")
                    % {"length": len(value), "limit": limit},
                )
            )
    if row.manager_email:
        try:
            validate_email(row.manager_email)
        except ValidationError:
            problems.append(
                Problem(
                    row.number,
                    "manager_email",
                    _("“%s” is not a valid e-mail address.") % row.manager_email,
                )
            )
        else:
            if row.manager_email == row.email:
                problems.append(
                    Problem(row.number, "manager_email", _("A person cannot manage themselves."))
                )
    for role in row.roles or []:
        if role not in ROLE_NAMES:
            problems.append(
                Problem(
                    row.number,
                    "roles",
                    _("Unknown role “%(role)s”. Use %(roles)s, separated by ; or |.")
                    % {"role": role, "roles": ", ".join(ROLE_NAMES)},
                )
            )
    return problems


# --- Planning (reads the organisation, writes nothing) -----------------------------------------


@dataclass
class _Existing:
    membership_id: int
    user_id: int
    email: str
    name: str
    title: str
    function: str
    team: str
    manager_email: str
    roles: list[str]
    is_active: bool


def _roles_of(m: Membership) -> list[str]:
    return sorted(role for role, attr in ROLE_FIELDS.items() if getattr(m, attr))


def _find_cycle(start: str, managers: dict[str, str]) -> list[str] | None:
    """The loop reached by following managers from ``start``, if ``start`` is on one."""
    path = [start]
    current = managers.get(start)
    seen = {start}
    while current:
        if current == start:
            return [*path, start]
        if current in seen:
            return None  # a loop further up the chain; reported on its own members' rows
        seen.add(current)
        path.append(current)
        current = managers.get(current)
    return None


def plan_import(parsed: ParsedFile, row_problems: list[Problem] | None = None) -> ImportPlan:
    """Compare the file with the organisation in context: every problem and every change.

    ``row_problems`` lets a caller that already ran ``check_row`` on every row (the batched
    background job) skip running it again. Runs a fixed number of queries (3).
    """
    problems = list(parsed.problems)
    warnings = list(parsed.warnings)
    if row_problems is None:
        row_problems = [p for row in parsed.rows for p in check_row(row)]
    problems.extend(row_problems)

    existing: dict[str, _Existing] = {}
    memberships = Membership.objects.select_related("user", "team", "manager__user")
    for m in memberships:
        existing[m.user.email.lower()] = _Existing(
            membership_id=m.pk,
            user_id=m.user_id,
            email=m.user.email.lower(),
            name=m.user.full_name,
            title=m.job_title,
            function=m.function,
            team=m.team.name if m.team else "",
            manager_email=m.manager.user.email.lower() if m.manager else "",
            roles=_roles_of(m),
            is_active=m.is_active,
        )
    team_names = {name.lower(): name for name in Team.objects.values_list("name", flat=True)}

    first_row: dict[str, int] = {}
    for row in parsed.rows:
        if not row.email:
            continue
        if row.email in first_row:
            problems.append(
                Problem(
                    row.number,
                    "email",
                    _("%(email)s appears twice: already on row %(first)s.")
                    % {"email": row.email, "first": first_row[row.email]},
                )
            )
        else:
            first_row[row.email] = row.number

    in_file = set(first_row)
    managers = {e.email: e.manager_email for e in existing.values() if e.manager_email}
    for row in parsed.rows:
        if row.manager_email is None or not row.email:
            continue
        if row.manager_email:
            managers[row.email] = row.manager_email
        else:
            managers.pop(row.email, None)
        if (
            row.manager_email
            and row.manager_email not in in_file
            and row.manager_email not in existing
        ):
            problems.append(
                Problem(
                    row.number,
                    "manager_email",
                    _("The manager %s is neither in this file nor a member of the organisation.")
                    % row.manager_email,
                )
            )
    for row in parsed.rows:
        if row.manager_email and row.email and row.manager_email != row.email:
            cycle = _find_cycle(row.email, managers)
            if cycle:
                problems.append(
                    Problem(
                        row.number,
                        "manager_email",
                        _("The manager chain loops back to this person: %s.") % " → ".join(cycle),
                    )
                )

    new_people: list[PersonChange] = []
    updated: list[PersonChange] = []
    unchanged = 0
    teams_to_create: list[str] = []
    admins_after = {e.email for e in existing.values() if "admin" in e.roles and e.is_active}
    had_admin = bool(admins_after)
    for row in parsed.rows:
        if not row.email or first_row.get(row.email) != row.number:
            continue
        if row.team and row.team.lower() not in team_names:
            team_names[row.team.lower()] = row.team
            teams_to_create.append(row.team)
        team = team_names.get(row.team.lower(), row.team) if row.team else row.team
        current = existing.get(row.email)
        if current is None:
            roles = sorted(set(row.roles or [Role.LEARNER.value]))
            new_people.append(
                PersonChange(
                    email=row.email,
                    name=row.name,
                    is_new=True,
                    changes={
                        "name": ("", row.name),
                        "title": ("", row.title or ""),
                        "function": ("", row.function or ""),
                        "team": ("", team or ""),
                        "manager": ("", row.manager_email or ""),
                        "roles": ("", ", ".join(roles)),
                    },
                )
            )
            if Role.ADMIN in roles:
                admins_after.add(row.email)
            continue
        if not current.is_active:
            warnings.append(
                Problem(
                    row.number,
                    "email",
                    _(
                        "%s is deactivated; the import updates their details but does not "
                        "reactivate them (do that on their page)."
                    )
                    % row.email,
                )
            )
        changes: dict[str, tuple[Any, Any]] = {}
        if row.name and row.name != current.name:
            changes["name"] = (current.name, row.name)
        for column, before in (("title", current.title), ("function", current.function)):
            after = getattr(row, column)
            if after is not None and after != before:
                changes[column] = (before, after)
        if team is not None and team != current.team:
            changes["team"] = (current.team, team)
        if row.manager_email is not None and row.manager_email != current.manager_email:
            changes["manager"] = (current.manager_email, row.manager_email)
        if row.roles is not None:
            roles = sorted(set(row.roles))
            if roles != current.roles:
                changes["roles"] = (", ".join(current.roles), ", ".join(roles))
            if Role.ADMIN in roles:
                admins_after.add(row.email)
            else:
                admins_after.discard(row.email)
        if changes:
            updated.append(PersonChange(row.email, row.name or current.name, False, changes))
        else:
            unchanged += 1
    if had_admin and not admins_after:
        for row in parsed.rows:
            current = existing.get(row.email)
            if current and "admin" in current.roles and row.roles is not None:
                problems.append(
                    Problem(
                        row.number,
                        "roles",
                        _(
                            "This would remove the organisation's last HR admin. Keep “admin” "
                            "in this person's roles or make someone else an admin first."
                        ),
                    )
                )
    problems.sort(
        key=lambda p: (
            p.row or 0,
            KNOWN_COLUMNS.index(p.column) if p.column in KNOWN_COLUMNS else 99,
        )
    )
    return ImportPlan(
        parsed=parsed,
        problems=problems,
        warnings=warnings,
        new_people=new_people,
        updated_people=updated,
        unchanged=unchanged,
        teams_to_create=teams_to_create,
    )


def build_plan(content: str) -> ImportPlan:
    """Parse and plan in one call (the organisation comes from the tenant context)."""
    return plan_import(parse_people_csv(content))


# --- Applying (all or nothing) -----------------------------------------------------------------

# One bulk statement per batch; 1,000 rows keep each INSERT/UPDATE well under parameter limits.
WRITE_BATCH = 1000


def apply_plan(plan: ImportPlan, actor: User | None, *, job_id: int | None = None) -> dict:
    """Write the plan in one transaction: teams, users, memberships, then managers (a second
    pass, because a manager may be created by the same file), then the audit trail.

    Must be called with a plan without problems, inside the tenant context. Re-plans nothing:
    callers plan and apply in the same transaction so the organisation cannot change between.
    Returns the plan's summary.
    """
    if plan.refused:
        raise ValidationError(_("The file has problems; nothing was imported."))
    rows = {r.email: r for r in plan.parsed.rows}
    now = timezone.now()
    with transaction.atomic():
        teams = {t.name.lower(): t for t in Team.objects.all()}
        for name in plan.teams_to_create:
            taken = ValidationError(
                _(
                    "The team “%(name)s” was created by someone else while this file was being "
                    "imported. Check the file again: it will be used as an existing team."
                )
                % {"name": name}
            )
            with refuse_duplicate(Team, "team_unique_name_ci", taken):
                team = Team.objects.create(name=name)
            teams[name.lower()] = team
            record_change(actor, "created", team, after={"name": name}, object_type="Team")

        new_emails = [p.email for p in plan.new_people]
        users = {
            u.email.lower(): u for u in User.objects.filter(email__in=new_emails)
        }  # accounts that exist in another organisation are reused, not duplicated
        unusable = make_password(None)
        to_create = [
            User(email=email, full_name=rows[email].name, password=unusable)
            for email in new_emails
            if email not in users
        ]
        taken = ValidationError(
            _(
                "An account for one of the new people was created elsewhere while this file was "
                "being imported. Check the file again: that person will be added as existing."
            )
        )
        with refuse_duplicate(User, ("email", "user_unique_email_ci"), taken):
            User.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        users.update({u.email.lower(): u for u in User.objects.filter(email__in=new_emails)})

        org_id = _current_org_id()
        memberships = []
        for email in new_emails:
            row = rows[email]
            roles = set(row.roles or [Role.LEARNER.value])
            memberships.append(
                Membership(
                    organization_id=org_id,
                    user=users[email],
                    job_title=row.title or "",
                    function=row.function or "",
                    team=teams[row.team.lower()] if row.team else None,
                    created_at=now,
                    **{attr: role in roles for role, attr in ROLE_FIELDS.items()},
                )
            )
        Membership.objects.bulk_create(memberships, batch_size=WRITE_BATCH)

        by_email = {
            m.user.email.lower(): m
            for m in Membership.objects.select_related("user").filter(user__email__in=list(rows))
        }
        managers_needed = {r.manager_email for r in rows.values() if r.manager_email}
        manager_ids = dict(
            Membership.objects.filter(user__email__in=managers_needed).values_list(
                "user__email", "pk"
            )
        )
        changed_memberships: list[Membership] = []
        changed_fields: set[str] = set()
        changed_users: list[User] = []
        # Managers are set with one UPDATE per manager: on a feed most people share a few
        # managers, and a CASE per row (bulk_update) grows with the file.
        reports_of: dict[int | None, list[int]] = defaultdict(list)
        audit: list[AuditEntry] = []
        moves: dict[int, int | None] = {}  # people changing team: their team before
        for person in [*plan.new_people, *plan.updated_people]:
            membership = by_email[person.email]
            row = rows[person.email]
            before = {k: b for k, (b, _a) in person.changes.items()}
            after = {k: a for k, (_b, a) in person.changes.items()}
            if not person.is_new:
                if "name" in person.changes:
                    membership.user.full_name = row.name
                    changed_users.append(membership.user)
                if "title" in person.changes:
                    membership.job_title = row.title or ""
                    changed_fields.add("job_title")
                if "function" in person.changes:
                    membership.function = row.function or ""
                    changed_fields.add("function")
                if "team" in person.changes:
                    moves[membership.pk] = membership.team_id
                    membership.team = teams[row.team.lower()] if row.team else None
                    changed_fields.add("team")
                if "roles" in person.changes:
                    for role, attr in ROLE_FIELDS.items():
                        setattr(membership, attr, role in (row.roles or []))
                    changed_fields.update(ROLE_FIELDS.values())
                if changed_fields & set(person_fields(person)):
                    changed_memberships.append(membership)
            if "manager" in person.changes and (row.manager_email or not person.is_new):
                manager_id = manager_ids.get(row.manager_email) if row.manager_email else None
                reports_of[manager_id].append(membership.pk)
            audit.append(
                AuditEntry(
                    organization_id=org_id,
                    actor=actor if actor is not None and actor.is_authenticated else None,
                    action="created" if person.is_new else "updated",
                    object_type="Person",
                    object_id=str(membership.pk),
                    object_repr=f"{row.name or membership.user.full_name} <{person.email}>"[:300],
                    before=None if person.is_new else before,
                    after=after,
                    created_at=now,
                )
            )
        User.objects.bulk_update(changed_users, ["full_name"], batch_size=WRITE_BATCH)
        if changed_memberships:
            Membership.objects.bulk_update(
                changed_memberships, sorted(changed_fields), batch_size=WRITE_BATCH
            )
        for manager_id, report_ids in reports_of.items():
            for start in range(0, len(report_ids), WRITE_BATCH):
                Membership.objects.filter(pk__in=report_ids[start : start + WRITE_BATCH]).update(
                    manager_id=manager_id
                )
        from organizations.people.services import queue_rollups_for_moves

        queue_rollups_for_moves(moves)  # their progress and both teams' roll-ups (outbox)
        # Per-person entries in bulk (one record_change per person would cost a statement
        # each on a 5,000-row feed); the import itself goes through record_change below.
        AuditEntry.objects.bulk_create(audit, batch_size=WRITE_BATCH)
        summary = plan.summary()
        record_change(
            actor,
            "imported",
            object_type="People import",
            object_id=job_id if job_id is not None else "",
            object_repr=_("%(new)s new, %(updated)s updated, %(teams)s teams created")
            % {
                "new": summary["new"],
                "updated": summary["updated"],
                "teams": len(summary["teams_to_create"]),
            },
            after={k: summary[k] for k in ("rows", "new", "updated", "unchanged", "changes")},
        )
    return summary


def person_fields(person: PersonChange) -> list[str]:
    """The membership columns a change touches (names and managers are written separately)."""
    columns = {"title": ["job_title"], "function": ["function"], "team": ["team"]}
    columns["roles"] = list(ROLE_FIELDS.values())
    return [c for key in person.changes for c in columns.get(key, [])]


def _current_org_id() -> int:
    from organizations.tenancy import current_org_id

    org_id = current_org_id()
    if org_id is None:
        raise RuntimeError("apply_plan must run inside tenant_context().")
    return org_id
