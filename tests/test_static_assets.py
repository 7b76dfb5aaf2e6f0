"""Static files come from the app itself (WhiteNoise): hashed names, compressed copies and
far-future cache headers; plotly.js is our own cartesian bundle, which must draw every trace
type the code builds; every page names its favicon."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from tests.conftest import make_member

ROOT = Path(settings.BASE_DIR)
BUNDLE = ROOT / "static" / "vendor" / "plotly" / "plotly.min.js"
# The trace modules of plotly.js-cartesian-dist-min (static/vendor/plotly/README.md).
BUNDLE_TRACES = {
    "bar",
    "box",
    "contour",
    "heatmap",
    "histogram",
    "histogram2d",
    "histogram2dcontour",
    "image",
    "pie",
    "scatter",
    "scatterternary",
    "violin",
}
PLOTLY_EXPRESS = {"bar": "bar", "line": "scatter", "scatter": "scatter", "box": "box"}


def _python_sources() -> list[Path]:
    skip = {".venv", "node_modules", "staticfiles", "tests"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def test_it_builds_only_traces_the_served_plotly_bundle_draws():
    used: dict[str, str] = {}
    for path in _python_sources():
        text = path.read_text()
        for name in re.findall(r"\bgo\.([A-Z][A-Za-z0-9]*)\(", text):
            if name not in {"Figure", "Layout"}:
                used[name.lower()] = str(path.relative_to(ROOT))
        # measurement/charts.py builds traces as dicts: trace("bar", …)
        for name in re.findall(r"\btrace\(\s*\"([a-z0-9]+)\"", text):
            used[name] = str(path.relative_to(ROOT))
        for name in re.findall(r"\bpx\.([a-z_]+)\(", text):
            used[PLOTLY_EXPRESS.get(name, name)] = str(path.relative_to(ROOT))
    assert "bar" in used  # the scan finds the charts that exist today
    missing = {trace: where for trace, where in used.items() if trace not in BUNDLE_TRACES}
    assert missing == {}, f"plotly.js bundle cannot draw {missing}; serve a bundle that can"


def test_it_serves_our_own_smaller_plotly_bundle_with_its_licence():
    header = BUNDLE.read_text()[:300]
    assert "plotly.js (cartesian - minified)" in header and "MIT license" in header
    assert BUNDLE.stat().st_size < 2_000_000  # the full bundle is 4.8 MB
    assert (BUNDLE.parent / "LICENSE").exists()
    assert not any("package_data" in str(d) for d in settings.STATICFILES_DIRS)


@pytest.mark.django_db
def test_it_names_a_favicon_on_every_page(client, org_a, org_b):
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert client.get("/static/favicon.svg").status_code == 200


@pytest.mark.django_db
def test_it_serves_hashed_compressed_files_with_far_future_headers(tmp_path, org_a, org_b):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=tmp_path, STORAGES=storages, WHITENOISE_USE_FINDERS=False, DEBUG=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
        hashed = manifest["vendor/plotly/plotly.min.js"]
        assert re.fullmatch(r"vendor/plotly/plotly\.min\.[0-9a-f]{12}\.js", hashed)
        assert (tmp_path / (hashed + ".gz")).exists()
        member = make_member(org_a, "leo@example.com", is_learner=True)
        client = Client()  # a new handler: WhiteNoise reads the new STATIC_ROOT
        client.force_login(member.user)
        page = client.get(f"/o/{org_a.slug}/").content.decode()
        assert f"/static/{manifest['css/pathwise.css']}" in page
        response = client.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in response["Cache-Control"]
        assert "immutable" in response["Cache-Control"]
        response.close()
