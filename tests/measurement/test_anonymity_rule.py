"""The one anonymity rule: each threshold, at and just below its boundary."""

from __future__ import annotations

from types import SimpleNamespace

from measurement import anonymity

ORG = SimpleNamespace(anonymity_threshold=3, comment_threshold=5)
STRICT = SimpleNamespace(anonymity_threshold=5, comment_threshold=7)


def test_attributed_groups_show_from_one_answer():
    assert anonymity.rater_group_is_shown(ORG, "manager", 1)
    assert anonymity.rater_group_is_shown(ORG, "self", 1)
    assert not anonymity.rater_group_is_shown(ORG, "manager", 0)


def test_anonymous_groups_need_the_organisations_threshold():
    for group in anonymity.ANONYMOUS_GROUPS:
        assert not anonymity.rater_group_is_shown(ORG, group, 2)
        assert anonymity.rater_group_is_shown(ORG, group, 3)
        assert not anonymity.rater_group_is_shown(STRICT, group, 4)


def test_all_others_needs_four_shown_raters():
    assert not anonymity.all_others_is_shown(3)
    assert anonymity.all_others_is_shown(4)


def test_comments_need_the_higher_threshold():
    assert not anonymity.comments_are_shown(ORG, "peer", 4)
    assert anonymity.comments_are_shown(ORG, "peer", 5)
    assert not anonymity.comments_are_shown(ORG, "manager", 1)


def test_stakeholder_aggregate_and_cells_across_learners():
    assert not anonymity.stakeholder_aggregate_is_shown(ORG, 2)
    assert anonymity.stakeholder_aggregate_is_shown(ORG, 3)
    assert not anonymity.cell_is_shown(4)
    assert anonymity.cell_is_shown(5)
