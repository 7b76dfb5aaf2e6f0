"""Export a competency framework as JSON and import it into an organisation.

The file copies a framework between organisations. Its shape (version 1)::

    {
      "format": "pathwise.competency-framework",      # required, exactly this string
      "version": 1,                                    # required, exactly 1
      "name": "Leadership framework",                  # required, 1-200 characters, unique
                                                       #   (case-insensitive) in the organisation
      "description": "What the framework is for",      # optional string
      "levels": [                                      # required, 2-10 levels numbered 1..n
        {"value": 1, "label": "Foundation",            #   value: integer, in order from 1
         "descriptor": "Knows what it means ..."},     #   label: 1-80 characters, distinct
        ...                                            #   descriptor: optional string
      ],
      "competencies": [                                # required list (may be empty), at most 200
        {
          "name": "Giving and receiving feedback",     # required, 1-200 characters, distinct
          "description": "...",                        # optional string
          "category": "Leading others",                # optional, at most 100 characters
          "indicators": [                              # optional list, in display order
            {"text": "Describes the behaviour ..."}    #   text: 1-300 characters
          ]
        }
      ],
      "priorities": [                                  # optional: strategic priorities served
        {
          "title": "Cut customer churn by a fifth",    # required, 1-200 characters, distinct
          "description": "...",                        # optional string
          "competencies": [                            # links to competencies of this file
            {"name": "Giving and receiving feedback",  #   name: a competency in this file
             "weight": 4}                              #   weight: integer 1-5
          ]
        }
      ]
    }

Competencies are listed in framework order. Every object accepts only the keys above; any other
key, a wrong type, an empty required text, a duplicate name or a level out of sequence is
reported with its path (``competencies[3].indicators[1]: text is empty``; indexes count from 0)
and nothing is written. On import a priority whose title matches an existing priority of the
organisation (case-insensitive) is reused and gains the links; the others are created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from competencies.models import (
    MAX_LEVELS,
    MIN_LEVELS,
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    ProficiencyLevel,
    StrategicPriority,
)
from organizations.audit import record_change
from organizations.models import User

FORMAT = "pathwise.competency-framework"
VERSION = 1
MAX_BYTES = 2 * 1024 * 1024
MAX_COMPETENCIES = 200
MAX_INDICATORS = 30
MAX_PRIORITIES = 100
MAX_ERRORS = 50  # a file that is wrong everywhere gets the first 50 problems, not thousands

TOP_KEYS = {"format", "version", "name", "description", "levels", "competencies", "priorities"}
LEVEL_KEYS = {"value", "label", "descriptor"}
COMPETENCY_KEYS = {"name", "description", "category", "indicators"}
INDICATOR_KEYS = {"text"}
PRIORITY_KEYS = {"title", "description", "competencies"}
LINK_KEYS = {"name", "weight"}


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def export_framework(framework: Framework, *, include_priorities: bool = True) -> dict[str, Any]:
    """The framework as a JSON-ready dict in the shape above (five queries)."""
    levels = ProficiencyLevel.objects.filter(framework=framework).order_by("value")
    competencies = list(
        Competency.objects.filter(framework=framework).order_by("position", "name", "pk")
    )
    indicators: dict[int, list[dict[str, str]]] = {c.pk: [] for c in competencies}
    for competency_id, text in (
        BehaviouralIndicator.objects.filter(competency__framework=framework)
        .order_by("position", "pk")
        .values_list("competency_id", "text")
    ):
        indicators[competency_id].append({"text": text})
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "name": framework.name,
        "description": framework.description,
        "levels": [
            {"value": lv.value, "label": lv.label, "descriptor": lv.descriptor} for lv in levels
        ],
        "competencies": [
            {
                "name": c.name,
                "description": c.description,
                "category": c.category,
                "indicators": indicators[c.pk],
            }
            for c in competencies
        ],
    }
    if include_priorities:
        priorities: dict[int, dict[str, Any]] = {}
        for link in (
            PriorityAlignment.objects.filter(competency__framework=framework)
            .select_related("priority", "competency")
            .order_by("priority__title", "competency__position", "competency__name")
        ):
            entry = priorities.setdefault(
                link.priority_id,
                {
                    "title": link.priority.title,
                    "description": link.priority.description,
                    "competencies": [],
                },
            )
            entry["competencies"].append({"name": link.competency.name, "weight": link.weight})
        data["priorities"] = list(priorities.values())
    return data


def export_json(framework: Framework, *, include_priorities: bool = True) -> str:
    return json.dumps(
        export_framework(framework, include_priorities=include_priorities),
        ensure_ascii=False,
        indent=2,
    )


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def parse_json(raw: str | bytes) -> Any:
    """Decode the upload or pasted text; ``ValidationError`` says where the JSON breaks."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ValidationError(
                _("The file is larger than 2 MB; a framework file is far smaller.")
            )
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text.")) from None
    if len(raw.encode("utf-8")) > MAX_BYTES:
        raise ValidationError(_("The text is larger than 2 MB; a framework file is far smaller."))
    if not raw.strip():
        raise ValidationError(_("The file is empty."))
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("This is not valid JSON: %(msg)s at line %(line)d, column %(col)d.")
            % {"msg": exc.msg, "line": exc.lineno, "col": exc.colno}
        ) from None


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}" if path else message)

    def type_name(self, value: Any) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true/false"
        return {
            str: _("text"),
            int: _("a number"),
            float: _("a number"),
            list: _("a list"),
            dict: _("an object"),
        }.get(type(value), type(value).__name__)

    def keys(self, path: str, obj: dict[str, Any], allowed: set[str], required: set[str]) -> None:
        for key in sorted(set(obj) - allowed):
            self.add(
                path,
                _("unknown key “%(key)s” (allowed: %(allowed)s)")
                % {"key": key, "allowed": ", ".join(sorted(allowed))},
            )
        for key in sorted(required - set(obj)):
            self.add(path, _("“%(key)s” is missing") % {"key": key})

    def obj(self, path: str, value: Any) -> bool:
        if not isinstance(value, dict):
            self.add(path, _("expected an object, got %(type)s") % {"type": self.type_name(value)})
            return False
        return True

    def lst(self, path: str, value: Any, maximum: int) -> bool:
        if not isinstance(value, list):
            self.add(path, _("expected a list, got %(type)s") % {"type": self.type_name(value)})
            return False
        if len(value) > maximum:
            self.add(
                path, _("at most %(max)d entries, got %(n)d") % {"max": maximum, "n": len(value)}
            )
            return False
        return True

    def text(
        self,
        path: str,
        obj: dict[str, Any],
        key: str,
        *,
        max_length: int | None = None,
        required: bool = False,
    ) -> str | None:
        """The stripped text at ``obj[key]``, or None after recording what is wrong."""
        if key not in obj:
            return "" if not required else None
        value = obj[key]
        if not isinstance(value, str):
            self.add(
                path,
                _("%(key)s must be text, got %(type)s")
                % {"key": key, "type": self.type_name(value)},
            )
            return None
        value = value.strip()
        if required and not value:
            self.add(path, _("%(key)s is empty") % {"key": key})
            return None
        if max_length is not None and len(value) > max_length:
            self.add(
                path,
                _("%(key)s has %(n)d characters; at most %(max)d allowed")
                % {"key": key, "n": len(value), "max": max_length},
            )
            return None
        return value

    def integer(self, path: str, obj: dict[str, Any], key: str) -> int | None:
        if key not in obj:
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                path,
                _("%(key)s must be a whole number, got %(type)s")
                % {"key": key, "type": self.type_name(value)},
            )
            return None
        return value


def check_framework_data(data: Any) -> None:
    """Raise ``ValidationError`` listing every problem (with its path) in the decoded file."""
    c = _Checker()
    if not c.obj("", data):
        raise ValidationError(c.errors)
    c.keys("", data, TOP_KEYS, {"format", "version", "name", "levels", "competencies"})
    if "format" in data and data["format"] != FORMAT:
        c.add("format", _("expected “%(format)s”") % {"format": FORMAT})
    if "version" in data:
        version = c.integer("version", data, "version")
        if version is not None and version != VERSION:
            c.add("version", _("expected %(v)d, got %(got)d") % {"v": VERSION, "got": version})
    if "name" in data:
        name = c.text("", data, "name", max_length=200, required=True)
        if name and Framework.objects.filter(name__iexact=name).exists():
            c.add(
                "name",
                _(
                    "a framework called “%(name)s” already exists in this organisation; import "
                    "it under another name, or rename the existing one"
                )
                % {"name": name},
            )
    c.text("", data, "description")
    _check_levels(c, data.get("levels"))
    names = _check_competencies(c, data.get("competencies"))
    if "priorities" in data:
        _check_priorities(c, data["priorities"], names)
    if c.errors:
        shown = c.errors[:MAX_ERRORS]
        if len(c.errors) > MAX_ERRORS:
            shown.append(_("… and %(n)d more problems.") % {"n": len(c.errors) - MAX_ERRORS})
        raise ValidationError(shown)


def _check_levels(c: _Checker, levels: Any) -> None:
    if levels is None or not c.lst("levels", levels, MAX_LEVELS):
        return
    if len(levels) < MIN_LEVELS:
        c.add("levels", _("a scale needs at least %(min)d levels") % {"min": MIN_LEVELS})
    labels: dict[str, int] = {}
    for i, level in enumerate(levels):
        path = f"levels[{i}]"
        if not c.obj(path, level):
            continue
        c.keys(path, level, LEVEL_KEYS, {"value", "label"})
        value = c.integer(path, level, "value")
        if value is not None and value != i + 1:
            c.add(
                path,
                _(
                    "value is %(got)d but levels must be numbered 1..n in order, so this one is %(want)d"
                )
                % {"got": value, "want": i + 1},
            )
        label = c.text(path, level, "label", max_length=80, required="label" in level)
        if label:
            if label.lower() in labels:
                c.add(
                    path,
                    _("label “%(label)s” is already used by levels[%(other)d]")
                    % {"label": label, "other": labels[label.lower()]},
                )
            labels.setdefault(label.lower(), i)
        c.text(path, level, "descriptor")


def _check_competencies(c: _Checker, competencies: Any) -> set[str]:
    names: dict[str, int] = {}
    if competencies is None or not c.lst("competencies", competencies, MAX_COMPETENCIES):
        return set()
    for i, competency in enumerate(competencies):
        path = f"competencies[{i}]"
        if not c.obj(path, competency):
            continue
        c.keys(path, competency, COMPETENCY_KEYS, {"name"})
        name = c.text(path, competency, "name", max_length=200, required="name" in competency)
        if name:
            if name.lower() in names:
                c.add(
                    path,
                    _("name “%(name)s” is already used by competencies[%(other)d]")
                    % {"name": name, "other": names[name.lower()]},
                )
            names.setdefault(name.lower(), i)
        c.text(path, competency, "description")
        c.text(path, competency, "category", max_length=100)
        indicators = competency.get("indicators", [])
        if not c.lst(f"{path}.indicators", indicators, MAX_INDICATORS):
            continue
        for j, indicator in enumerate(indicators):
            ipath = f"{path}.indicators[{j}]"
            if not c.obj(ipath, indicator):
                continue
            c.keys(ipath, indicator, INDICATOR_KEYS, {"text"})
            if "text" in indicator:
                c.text(ipath, indicator, "text", max_length=300, required=True)
    return set(names)


def _check_priorities(c: _Checker, priorities: Any, names: set[str]) -> None:
    if not c.lst("priorities", priorities, MAX_PRIORITIES):
        return
    titles: dict[str, int] = {}
    for i, priority in enumerate(priorities):
        path = f"priorities[{i}]"
        if not c.obj(path, priority):
            continue
        c.keys(path, priority, PRIORITY_KEYS, {"title"})
        title = c.text(path, priority, "title", max_length=200, required="title" in priority)
        if title:
            if title.lower() in titles:
                c.add(
                    path,
                    _("title “%(title)s” is already used by priorities[%(other)d]")
                    % {"title": title, "other": titles[title.lower()]},
                )
            titles.setdefault(title.lower(), i)
        c.text(path, priority, "description")
        links = priority.get("competencies", [])
        if not c.lst(f"{path}.competencies", links, MAX_COMPETENCIES):
            continue
        linked: set[str] = set()
        for j, link in enumerate(links):
            lpath = f"{path}.competencies[{j}]"
            if not c.obj(lpath, link):
                continue
            c.keys(lpath, link, LINK_KEYS, {"name", "weight"})
            name = c.text(lpath, link, "name", required="name" in link)
            if name:
                if name.lower() not in names:
                    c.add(
                        lpath,
                        _("no competency called “%(name)s” in this file") % {"name": name},
                    )
                elif name.lower() in linked:
                    c.add(lpath, _("“%(name)s” is linked twice") % {"name": name})
                linked.add(name.lower())
            weight = c.integer(lpath, link, "weight")
            if weight is not None and not 1 <= weight <= 5:
                c.add(lpath, _("weight must be from 1 to 5, got %(w)d") % {"w": weight})


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    framework: Framework
    competencies: int
    indicators: int
    priorities_created: int
    priorities_reused: int
    links: int

    def summary(self) -> str:
        return _(
            "Imported “%(name)s”: %(c)d competencies, %(i)d behavioural indicators, "
            "%(p)d new strategic priorities, %(r)d existing priorities linked."
        ) % {
            "name": self.framework.name,
            "c": self.competencies,
            "i": self.indicators,
            "p": self.priorities_created,
            "r": self.priorities_reused,
        }


def do_import_framework(
    actor: User | None, data: Any, *, include_priorities: bool = True, name: str = ""
) -> ImportResult:
    """Create a framework from a decoded file in the current organisation; all or nothing.

    ``name``, when given, replaces the file's name (to import a copy next to a framework of the
    same name). Raises ``ValidationError`` (a list of path-prefixed messages) and writes nothing
    when the file is not valid.
    """
    if name.strip() and isinstance(data, dict):
        data = {**data, "name": name}
    check_framework_data(data)
    with transaction.atomic():
        framework = Framework.objects.create(
            name=data["name"].strip(), description=data.get("description", "").strip()
        )
        org_id = framework.organization_id
        ProficiencyLevel.objects.bulk_create(
            ProficiencyLevel(
                organization_id=org_id,
                framework=framework,
                value=level["value"],
                label=level["label"].strip(),
                descriptor=level.get("descriptor", "").strip(),
            )
            for level in data["levels"]
        )
        competencies = Competency.objects.bulk_create(
            Competency(
                organization_id=org_id,
                framework=framework,
                name=item["name"].strip(),
                description=item.get("description", "").strip(),
                category=item.get("category", "").strip(),
                position=i,
            )
            for i, item in enumerate(data["competencies"])
        )
        if any(c.pk is None for c in competencies):  # backends that do not return ids
            competencies = list(Competency.objects.filter(framework=framework).order_by("position"))
        indicators = BehaviouralIndicator.objects.bulk_create(
            BehaviouralIndicator(
                organization_id=org_id, competency=competency, text=ind["text"].strip(), position=j
            )
            for competency, item in zip(competencies, data["competencies"], strict=True)
            for j, ind in enumerate(item.get("indicators", []))
        )
        by_name = {c.name.lower(): c for c in competencies}
        created = reused = links = 0
        priority_titles: list[str] = []
        if include_priorities and data.get("priorities"):
            # Titles are unique per organisation ignoring case (services.check_priority_title).
            existing = {p.title.lower(): p for p in StrategicPriority.objects.all()}
            alignments = []
            for item in data["priorities"]:
                title = item["title"].strip()
                priority = existing.get(title.lower())
                if priority is None:
                    priority = StrategicPriority.objects.create(
                        title=title, description=item.get("description", "").strip()
                    )
                    created += 1
                else:
                    reused += 1
                priority_titles.append(priority.title)
                for link in item.get("competencies", []):
                    alignments.append(
                        PriorityAlignment(
                            organization_id=org_id,
                            priority=priority,
                            competency=by_name[link["name"].strip().lower()],
                            weight=link["weight"],
                        )
                    )
            PriorityAlignment.objects.bulk_create(alignments)
            links = len(alignments)
        record_change(
            actor,
            "imported",
            framework,
            after={
                "name": framework.name,
                "levels": [level["label"].strip() for level in data["levels"]],
                "competencies": [c.name for c in competencies],
                "indicators": len(indicators),
                "priorities": priority_titles,
                "links": links,
            },
        )
    return ImportResult(
        framework=framework,
        competencies=len(competencies),
        indicators=len(indicators),
        priorities_created=created,
        priorities_reused=reused,
        links=links,
    )
