"""The statement receiver: external content reports ``completed``, ``passed`` or ``answered``
about modules, and Pathwise records the same facts the browser records.

It is a receiver, not a Learning Record Store: it keeps the facts it understands (through the
same services as the pages) and does not store, void or serve arbitrary statements.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from organizations.models import Membership
from pathways import services as pathway_services
from pathways.learning import services as learning_services
from pathways.models import Enrollment, Module, Step
from pathways.xapi.statements import ADL_VERBS, Site

ACCEPTED_VERBS = ("completed", "passed", "answered")
MAX_STATEMENTS = 50  # per request; a batch is applied all-or-nothing in one transaction


@dataclass(frozen=True)
class Received:
    index: int
    statement_id: str
    learner: Membership
    module: Module
    verb: str
    response: str


def _module_id(site: Site, iri: Any) -> int | None:
    """The module id in ``…/o/<slug>/xapi/activities/module/<id>`` (any host: the site may be
    reached under several names)."""
    if not isinstance(iri, str):
        return None
    pattern = rf"^https?://[^/]+/o/{re.escape(site.org.slug)}/xapi/activities/module/(\d{{1,18}})$"
    match = re.match(pattern, iri)
    return int(match[1]) if match else None


def _actor_key(site: Site, actor: Any) -> tuple[str, str] | None:
    if not isinstance(actor, dict):
        return None
    account = actor.get("account")
    if isinstance(account, dict):
        name = account.get("name")
        if account.get("homePage") == site.home_page and isinstance(name, str) and name.isdigit():
            return ("id", name)
        return None
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        return ("email", mbox[7:].strip().lower())
    return None


def check_statements(site: Site, payload: Any) -> list[Received]:
    """Validate a statement or a list of them; raises ``ValidationError`` naming each problem
    as ``[i].field``. Reads members and modules in 2 queries."""
    if "\\u0000" in json.dumps(payload):  # PostgreSQL text cannot hold NUL characters
        raise ValidationError(_("Statements may not contain NUL characters."))
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(s, dict) for s in items):
        raise ValidationError(_("Send one statement (a JSON object) or a list of them."))
    if len(items) > MAX_STATEMENTS:
        raise ValidationError(
            _("Send at most %(n)s statements per request.") % {"n": MAX_STATEMENTS}
        )
    errors: dict[str, list[str]] = {}
    actors = [_actor_key(site, s.get("actor")) for s in items]
    ids = {int(v) for k, v in filter(None, actors) if k == "id" and len(v) < 19}
    emails = {v for k, v in filter(None, actors) if k == "email"}
    members = {
        (("id", str(m.pk)) if m.pk in ids else ("email", m.user.email)): m
        for m in Membership.objects.select_related("user")
        .filter(is_active=True, is_learner=True)
        .filter(pk__in=ids)
    }
    for m in Membership.objects.select_related("user").filter(
        is_active=True, is_learner=True, user__email__in=emails
    ):
        members[("email", m.user.email)] = m
    module_ids = {_module_id(site, (s.get("object") or {}).get("id")) for s in items}
    modules = Module.objects.in_bulk({m for m in module_ids if m is not None})

    received = []
    for i, statement in enumerate(items):
        where = f"[{i}]"
        key = actors[i]
        learner = members.get(key) if key else None
        if learner is None:
            errors[f"{where}.actor"] = [
                _(
                    "Name a learner of this organisation: an account on %(home)s whose name is "
                    "their member id, or their mbox."
                )
                % {"home": site.home_page}
            ]
        verb_id = (
            (statement.get("verb") or {}).get("id")
            if isinstance(statement.get("verb"), dict)
            else None
        )
        verb = verb_id.removeprefix(ADL_VERBS) if isinstance(verb_id, str) else ""
        if verb not in ACCEPTED_VERBS or verb_id != ADL_VERBS + verb:
            errors[f"{where}.verb.id"] = [
                _("This receiver accepts the ADL verbs completed, passed and answered.")
            ]
        obj = statement.get("object")
        module_id = _module_id(site, obj.get("id")) if isinstance(obj, dict) else None
        module = modules.get(module_id) if module_id is not None else None
        if module is None:
            errors[f"{where}.object.id"] = [
                _(
                    "Unknown activity: use a module's activity IRI "
                    "(%(example)s, the module's xapi_activity_id in the API)."
                )
                % {"example": site.activity_iri("module", "<id>")}
            ]
        statement_id = statement.get("id") or str(uuid.uuid4())
        try:
            statement_id = str(uuid.UUID(str(statement_id)))
        except ValueError:
            errors[f"{where}.id"] = [_("A statement id is a UUID.")]
        result = statement.get("result") if isinstance(statement.get("result"), dict) else {}
        response = result.get("response") if isinstance(result, dict) else None
        if verb == "answered" and not (isinstance(response, str) and response.strip()):
            errors[f"{where}.result.response"] = [_("An answered statement carries the answer.")]
        if learner is not None and module is not None and not errors:
            received.append(Received(i, statement_id, learner, module, verb, str(response or "")))
    if errors:
        raise ValidationError(errors)
    return received


def _record(item: Received) -> None:
    """The fact the browser records for the same event."""
    if item.verb == "answered":
        learning_services.do_save_practice_answer(item.learner, item.module.pk, item.response)
        return
    open_enrollments = Enrollment.objects.filter(
        learner=item.learner, status=Enrollment.Status.ACTIVE
    ).values("pk", "version_id")
    for enrollment in open_enrollments:
        step = Step.objects.filter(version_id=enrollment["version_id"], module=item.module).first()
        if step is None:
            continue
        try:
            pathway_services.do_complete_step(item.learner, enrollment["pk"], step.pk)
            return
        except ValidationError:
            continue  # the step is not open yet: record the module as taken, below
    learning_services.do_mark_module_done(item.learner, item.module.pk)


def do_receive_statements(site: Site, payload: Any) -> list[str]:
    """Record every statement's fact, all or nothing; returns the statement ids."""
    received = check_statements(site, payload)
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        for item in received:
            try:
                with transaction.atomic():
                    _record(item)
            except ValidationError as exc:
                errors[f"[{item.index}]"] = exc.messages
            except ObjectDoesNotExist:
                errors[f"[{item.index}].object.id"] = [
                    _("This learner cannot take this module (it is not published for them).")
                ]
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors)
    return [item.statement_id for item in received]
