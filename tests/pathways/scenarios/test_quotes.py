"""A choice that is a line someone says is quoted once, not twice."""

from __future__ import annotations

import pytest

from pathways.templatetags.quotes import quoted


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Ask Sam what is getting in the way", "“Ask Sam what is getting in the way”"),
        ('"Thanks for telling me."', "“Thanks for telling me.”"),
        ("“Already curly”", "“Already curly”"),
        ("'Single'", "“Single”"),
    ],
)
def test_it_quotes_a_choice_once(text, shown, org_a, org_b):
    assert quoted(text) == shown
