"""Framework JSON: export, import into another organisation, and every validation error."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.exceptions import ValidationError

from competencies import portability, services
from competencies.demo import seed_framework
from competencies.models import (
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    StrategicPriority,
)
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from tests.competencies.helpers import build_framework


def _valid() -> dict:
    return {
        "format": "pathwise.competency-framework",
        "version": 1,
        "name": "Imported",
        "description": "From the parent company",
        "levels": [
            {"value": 1, "label": "Starting", "descriptor": "New to it"},
            {"value": 2, "label": "Capable"},
            {"value": 3, "label": "Role model", "descriptor": "Others learn from them"},
        ],
        "competencies": [
            {
                "name": "Decision making",
                "category": "Business",
                "description": "Decides well",
                "indicators": [{"text": "Names the owner"}, {"text": "Decides on time"}],
            },
            {"name": "Feedback", "indicators": [{"text": "Gives it within days"}]},
        ],
        "priorities": [
            {
                "title": "Cut churn",
                "description": "By a fifth",
                "competencies": [
                    {"name": "Feedback", "weight": 5},
                    {"name": "Decision making", "weight": 2},
                ],
            }
        ],
    }


def _errors(org, data) -> list[str]:
    with tenant_context(org):
        with pytest.raises(ValidationError) as exc:
            portability.do_import_framework(None, data)
        assert not Framework.objects.exists()  # all or nothing
        assert not StrategicPriority.objects.exists()
    return exc.value.messages


def _structure(org, framework_name: str) -> dict:
    """Everything but ids and organisation, as a comparable structure."""
    with tenant_context(org):
        framework = Framework.objects.get(name=framework_name)
        data = portability.export_framework(framework)
    return data


def test_it_round_trips_a_framework_into_another_organisation(org_a, org_b):
    with tenant_context(org_a):
        seed_framework(org_a)
    exported = _structure(org_a, "Leadership Capability Framework")
    text = json.dumps(exported)
    with tenant_context(org_b):
        result = portability.do_import_framework(None, portability.parse_json(text))
        assert result.competencies == 8
        assert result.priorities_created == 4
    assert _structure(org_b, "Leadership Capability Framework") == exported
    # Organisation A is untouched and still has exactly one copy.
    with tenant_context(org_a):
        assert Framework.objects.count() == 1
        assert Competency.objects.count() == 8


def test_it_exports_competencies_in_order_with_indicators_and_optional_priorities(org_a, org_b):
    framework = build_framework(org_a, 3, indicators=2, priorities=2)
    with tenant_context(org_a):
        competency = Competency.objects.get(framework=framework, name="Competency 3")
        services.do_move_competency(None, competency, "up")
        with_priorities = portability.export_framework(framework)
        without = portability.export_framework(framework, include_priorities=False)
    assert [c["name"] for c in with_priorities["competencies"]] == [
        "Competency 1",
        "Competency 3",
        "Competency 2",
    ]
    assert with_priorities["competencies"][0]["indicators"] == [
        {"text": "Competency 1 behaviour 1"},
        {"text": "Competency 1 behaviour 2"},
    ]
    assert [p["title"] for p in with_priorities["priorities"]] == ["Priority 1", "Priority 2"]
    assert "priorities" not in without
    assert [lv["value"] for lv in with_priorities["levels"]] == [1, 2, 3, 4, 5]


def test_it_reuses_an_existing_priority_with_the_same_title(org_a, org_b):
    with tenant_context(org_a):
        services.do_create_priority(None, "CUT CHURN", "Ours")
        result = portability.do_import_framework(None, _valid())
        priority = StrategicPriority.objects.get()
        links = PriorityAlignment.objects.filter(priority=priority).count()
        entry = AuditEntry.objects.get(action="imported")
    assert (result.priorities_created, result.priorities_reused, result.links) == (0, 1, 2)
    assert priority.description == "Ours"
    assert links == 2
    assert entry.after["competencies"] == ["Decision making", "Feedback"]


def test_it_can_leave_the_priorities_out_of_an_import(org_a, org_b):
    with tenant_context(org_a):
        portability.do_import_framework(None, _valid(), include_priorities=False)
        assert not StrategicPriority.objects.exists()
        assert BehaviouralIndicator.objects.count() == 3


def test_it_names_an_empty_indicator_by_its_path(org_a, org_b):
    data = _valid()
    data["competencies"][1]["indicators"].append({"text": "  "})
    assert _errors(org_a, data) == ["competencies[1].indicators[1]: text is empty"]


def test_it_names_duplicate_competency_names(org_a, org_b):
    data = _valid()
    data["competencies"].append({"name": " feedback "})
    assert _errors(org_a, data) == [
        "competencies[2]: name “feedback” is already used by competencies[1]"
    ]


def test_it_requires_levels_numbered_one_to_n(org_a, org_b):
    data = _valid()
    data["levels"][2]["value"] = 4
    assert _errors(org_a, data) == [
        "levels[2]: value is 4 but levels must be numbered 1..n in order, so this one is 3"
    ]
    data = _valid()
    data["levels"] = data["levels"][:1]
    assert _errors(org_a, data) == ["levels: a scale needs at least 2 levels"]
    data = _valid()
    data["levels"][1]["label"] = "starting"
    assert _errors(org_a, data) == ["levels[1]: label “starting” is already used by levels[0]"]


def test_it_rejects_unknown_keys(org_a, org_b):
    data = _valid()
    data["colour"] = "blue"
    data["competencies"][0]["indicators"][0]["weight"] = 3
    errors = _errors(org_a, data)
    assert errors[0].startswith("unknown key “colour” (allowed: ")
    assert errors[1].startswith("competencies[0].indicators[0]: unknown key “weight”")
    assert len(errors) == 2


def test_it_rejects_wrong_types(org_a, org_b):
    data = _valid()
    data["competencies"][0]["name"] = 42
    data["levels"][0]["value"] = "1"
    data["competencies"][1]["indicators"] = "Gives feedback"
    data["version"] = True
    del data["priorities"]  # they would also report the unreadable competency name
    assert _errors(org_a, data) == [
        "version: version must be a whole number, got true/false",
        "levels[0]: value must be a whole number, got text",
        "competencies[0]: name must be text, got a number",
        "competencies[1].indicators: expected a list, got text",
    ]


def test_it_rejects_a_file_that_is_not_a_framework(org_a, org_b):
    assert _errors(org_a, ["not", "an", "object"]) == ["expected an object, got a list"]
    errors = _errors(org_a, {"format": "something-else", "version": 2})
    assert errors == [
        "“competencies” is missing",
        "“levels” is missing",
        "“name” is missing",
        "format: expected “pathwise.competency-framework”",
        "version: expected 1, got 2",
    ]


def test_it_refuses_a_name_that_clashes_with_an_existing_framework(org_a, org_b):
    with tenant_context(org_a):
        services.do_create_framework(None, "imported", "")
        with pytest.raises(ValidationError) as exc:
            portability.do_import_framework(None, _valid())
        assert Framework.objects.count() == 1
    assert exc.value.messages[0].startswith("name: a framework called “Imported” already exists")
    with tenant_context(org_b):  # the other organisation has no such framework
        portability.do_import_framework(None, _valid())


def test_it_imports_a_copy_under_another_name_next_to_the_original(org_a, org_b):
    with tenant_context(org_a):
        services.do_create_framework(None, "Imported", "")
        result = portability.do_import_framework(None, _valid(), name="  Imported (copy) ")
        assert sorted(Framework.objects.values_list("name", flat=True)) == [
            "Imported",
            "Imported (copy)",
        ]
        with pytest.raises(ValidationError) as exc:
            portability.do_import_framework(None, _valid(), name="imported (COPY)")
    assert result.framework.name == "Imported (copy)"
    assert exc.value.messages[0].startswith("name: a framework called “imported (COPY)”")


def test_it_checks_priority_links_against_the_file(org_a, org_b):
    data = _valid()
    links = data["priorities"][0]["competencies"]
    links.append({"name": "Resilience", "weight": 3})
    links.append({"name": "feedback", "weight": 1})
    data["competencies"].append({"name": "Coaching"})
    links.append({"name": "Coaching"})
    links[0]["weight"] = 9
    data["priorities"].append({"title": "cut churn"})
    assert _errors(org_a, data) == [
        "priorities[0].competencies[0]: weight must be from 1 to 5, got 9",
        "priorities[0].competencies[2]: no competency called “Resilience” in this file",
        "priorities[0].competencies[3]: “feedback” is linked twice",
        "priorities[0].competencies[4]: “weight” is missing",
        "priorities[1]: title “cut churn” is already used by priorities[0]",
    ]


def test_it_reports_text_that_is_too_long(org_a, org_b):
    data = _valid()
    data["competencies"][0]["category"] = "c" * 101
    data["competencies"][0]["indicators"][0]["text"] = "i" * 301
    assert _errors(org_a, data) == [
        "competencies[0]: category has 101 characters; at most 100 allowed",
        "competencies[0].indicators[0]: text has 301 characters; at most 300 allowed",
    ]


def test_it_explains_broken_json(org_a, org_b):
    with pytest.raises(ValidationError, match="not valid JSON: .* line 2, column"):
        portability.parse_json('{"name":\n oops}')
    with pytest.raises(ValidationError, match="empty"):
        portability.parse_json(b"   ")
    with pytest.raises(ValidationError, match="UTF-8"):
        portability.parse_json(b"\xff\xfe{")
    assert portability.parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_it_caps_the_number_of_reported_problems(org_a, org_b):
    data = _valid()
    data["competencies"] = [{"name": ""} for _ in range(80)]
    del data["priorities"]
    errors = _errors(org_a, copy.deepcopy(data))
    assert len(errors) == portability.MAX_ERRORS + 1
    assert errors[-1] == "… and 30 more problems."
