"""In a real browser, an HR admin of two organisations works on the competency model: a strategic
priority served by a weighted competency and one served by nothing, shown on the alignment map;
the proficiency scale reworded, grown by a level, and a level removed after confirmation; the
framework exported as JSON and imported into the other organisation, a broken file first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from competencies.demo import DEMO_FRAMEWORK, seed_framework
from competencies.models import Framework, PriorityAlignment, ProficiencyLevel, StrategicPriority
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import htmx_ready, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ARTIFACTS = Path("test-artifacts")
COPY_NAME = f"{DEMO_FRAMEWORK} (from Acme)"


def _levels(org, name: str) -> list[tuple[int, str]]:
    with tenant_context(org):
        return list(
            ProficiencyLevel.objects.filter(framework__name=name)
            .order_by("value")
            .values_list("value", "label")
        )


def test_an_admin_aligns_priorities_reshapes_the_scale_and_copies_the_framework(
    page, org_a, org_b, tmp_path: Path
):
    for org in (org_a, org_b):  # both organisations start from the demo framework
        with tenant_context(org):
            seed_framework(org)
        make_member(org, "hr@both.example", is_admin=True)
    nav = page.get_by_role("navigation", name="Main")
    tabs = page.get_by_role("navigation", name="Competency model")

    sign_in(page, "hr@both.example", PASSWORD)
    page.goto("/o/")
    page.get_by_role("link", name="Acme", exact=True).click()
    nav.get_by_role("link", name="Competencies").click()

    # A strategic priority served by a competency with a weight, and one served by none.
    tabs.get_by_role("link", name="Strategic priorities").click()
    add = page.locator("#add-priority")
    add.get_by_label("Title").fill("Open two new markets")
    add.get_by_label("Description").fill("Revenue from two countries we do not sell in today.")
    add.get_by_role("button", name="Add priority").click()
    page.get_by_text("Priority added. Now link the competencies that serve it.").wait_for()
    page.get_by_role("combobox", name="Competency").select_option(label="Decision making")
    page.get_by_role("combobox", name="Weight").select_option("4")
    page.get_by_role("button", name="Link competency").click()
    page.get_by_text("“Decision making” serves this priority with weight 4 of 5.").wait_for()

    tabs.get_by_role("link", name="Strategic priorities").click()
    add = page.locator("#add-priority")
    add.get_by_label("Title").fill("Become carbon neutral")
    add.get_by_role("button", name="Add priority").click()
    page.get_by_role("heading", name="Become carbon neutral", level=1).wait_for()

    tabs.get_by_role("link", name="Alignment map").click()
    gaps = page.locator("section", has=page.get_by_role("heading", name="Gaps"))
    gaps.get_by_text("1 priority is served by no competency:").wait_for()
    assert gaps.get_by_role("link", name="Become carbon neutral").is_visible()
    assert "Open two new markets" not in gaps.inner_text()
    markets = page.locator("article", has=page.get_by_role("heading", name="Open two new markets"))
    assert "Decision making · weight 4/5" in markets.inner_text()
    grid = page.get_by_role("table")
    headers = grid.locator("thead th")  # text_content: the headers are styled in capitals
    assert "unserved" not in (headers.filter(has_text="Open two new markets").text_content() or "")
    assert "unserved" in (headers.filter(has_text="carbon neutral").text_content() or "")
    decision = grid.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=re.compile("^Decision making"))
    )
    assert "4 of 5" in (decision.text_content() or "")

    # The scale: a descriptor reworded, a sixth level added, a seventh added and removed.
    tabs.get_by_role("link", name="Frameworks").click()
    page.get_by_role("link", name=DEMO_FRAMEWORK, exact=True).click()
    page.get_by_role("link", name="Edit scale").click()
    page.get_by_label("Level 3 descriptor").fill(
        "Applies it reliably in their own role, including the difficult conversations."
    )
    page.get_by_role("button", name="Save scale").click()
    page.get_by_text("Scale saved: 1 level changed.").wait_for()
    scale = page.get_by_role("table").filter(has_text="Foundation")
    assert "including the difficult conversations" in scale.inner_text()

    page.get_by_role("link", name="Edit scale").click()
    add_level = page.locator("#add-level")
    assert "Add level 6 at the top" in add_level.inner_text()
    add_level.get_by_label("Label").fill("Expert")  # already the label of level 5
    add_level.get_by_role("button", name="Add level 6").click()
    page.locator("#add-level .field__error").get_by_text("Two levels are called").wait_for()
    add_level = page.locator("#add-level")
    add_level.get_by_label("Label").fill("Master")
    add_level.get_by_label("Descriptor").fill(
        "Teaches it to other leaders and changes how we do it."
    )
    add_level.get_by_role("button", name="Add level 6").click()
    page.get_by_text("Level 6 “Master” added; the scale now runs 1–6.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "competency-scale.png"), full_page=True)
    page.locator("#add-level").get_by_label("Label").fill("Legend")
    page.locator("#add-level").get_by_role("button", name="Add level 7").click()
    page.get_by_text("Level 7 “Legend” added; the scale now runs 1–7.").wait_for()

    page.locator("#remove-level").get_by_role("link", name="Remove level 7…").click()
    page.get_by_role("heading", name="Remove level 7 “Legend”?").wait_for()
    assert "What will be lost" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "competency-scale-remove.png"), full_page=True)
    htmx_ready(page)  # the confirmation is wired by the deferred page script
    dialogs: list[str] = []

    def answer(dialog, accept: bool) -> None:
        dialogs.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Remove level 7").click()
    page.get_by_role("heading", name="Remove level 7 “Legend”?").wait_for()
    assert _levels(org_a, DEMO_FRAMEWORK)[-1] == (7, "Legend")  # dismissed: nothing removed
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Remove level 7").click()
    page.get_by_text("Level 7 “Legend” removed; the scale now runs 1–6.").wait_for()
    assert dialogs == ["Remove level 7 “Legend” with its descriptor?"] * 2
    assert [label for _v, label in _levels(org_a, DEMO_FRAMEWORK)][-2:] == ["Expert", "Master"]

    # Export the framework as JSON.
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("heading", name=DEMO_FRAMEWORK).wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export JSON").click()
    exported = tmp_path / "framework.json"
    download_info.value.save_as(exported)
    data = json.loads(exported.read_text())
    assert [level["label"] for level in data["levels"]][-1] == "Master"
    markets_entry = next(p for p in data["priorities"] if p["title"] == "Open two new markets")
    assert markets_entry["competencies"] == [{"name": "Decision making", "weight": 4}]

    # Into the other organisation: a broken file is refused with every problem named by path.
    broken = json.loads(exported.read_text())
    broken["levels"][1]["value"] = 7
    broken["competencies"][0]["indicators"][0]["text"] = "  "
    broken_file = tmp_path / "broken.json"
    broken_file.write_text(json.dumps(broken))
    page.get_by_role("link", name="Acme", exact=True).click()  # the organisation picker
    page.get_by_role("link", name="Globex", exact=True).click()
    nav.get_by_role("link", name="Competencies").click()
    page.get_by_role("link", name="Import JSON").click()
    page.get_by_label("Framework file (.json)").set_input_files(str(broken_file))
    page.get_by_role("button", name="Import framework").click()
    problems = page.locator("#import-problems")
    problems.get_by_text("The file was not imported: 3 problems to fix.").wait_for()
    text = problems.inner_text()
    page.screenshot(path=str(ARTIFACTS / "competency-import-problems.png"), full_page=True)
    assert f"name: a framework called “{DEMO_FRAMEWORK}” already exists" in text
    assert "levels[1]: value is 7 but levels must be numbered 1..n in order" in text
    assert "competencies[0].indicators[0]: text is empty" in text
    with tenant_context(org_b):
        assert Framework.objects.count() == 1

    # The exported file, as a copy beside Globex's own framework of the same name.
    page.get_by_label("Framework file (.json)").set_input_files(str(exported))
    page.get_by_label("Import under another name (optional)").fill(COPY_NAME)
    page.get_by_role("button", name="Import framework").click()
    page.get_by_text(re.compile(rf"^Imported “{re.escape(COPY_NAME)}”: 8 competencies")).wait_for()
    assert "1 new strategic priorities" in page.locator(".messages").inner_text()
    page.get_by_role("heading", name=COPY_NAME).wait_for()
    scale = page.get_by_role("table").filter(has_text="Foundation")
    assert "Master" in scale.inner_text()
    assert "including the difficult conversations" in scale.inner_text()

    with tenant_context(org_b):
        assert _levels(org_b, COPY_NAME)[-1] == (6, "Master")
        assert _levels(org_b, DEMO_FRAMEWORK)[-1] == (5, "Expert")  # Globex's own, untouched
        assert StrategicPriority.objects.filter(title="Open two new markets").exists()
        assert not StrategicPriority.objects.filter(title="Become carbon neutral").exists()
        link = PriorityAlignment.objects.get(priority__title="Open two new markets")
        assert (link.competency.framework.name, link.weight) == (COPY_NAME, 4)
        assert AuditEntry.objects.filter(action="imported").count() == 1
    with tenant_context(org_a):
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        assert {"level added", "level removed", "linked"} <= actions
