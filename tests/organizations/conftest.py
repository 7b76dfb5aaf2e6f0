from __future__ import annotations

from collections.abc import Iterator

import pytest

from organizations.templatetags import site_nav


@pytest.fixture
def fresh_site_nav() -> Iterator[None]:
    """The kept navigation and headers (``site_nav``) emptied before and after the test: each
    test renders its own."""
    site_nav._rendered.clear()
    site_nav._headers.clear()
    yield
    site_nav._rendered.clear()
    site_nav._headers.clear()
