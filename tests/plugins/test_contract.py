"""The plugin contract's navigation and panel hooks: a third-party package found through
its entry point renders on the pages, and a plugin that raises, is slow or returns
something unsafe never breaks a page."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins import manager
from plugins.manager import (
    build_plugin_manager,
    get_plugin_manager,
    plugin_navigation,
    plugin_panels,
)
from plugins.types import PanelTarget, Viewer
from tests.plugins import panel_plugins

pytestmark = pytest.mark.django_db

PACKAGE = Path(__file__).resolve().parents[1] / "external_plugin"
VIEWER = Viewer(user_id=1, username="ann", display_name="Ann", language="en")
TARGET = PanelTarget(kind="page", id=7, title="Deploy guide", url="/wiki/platform/deploy/")


@pytest.fixture(scope="module")
def installed_external_plugin(tmp_path_factory) -> Iterator[Path]:  # noqa: ANN001
    """tests/external_plugin installed as a package (pip, from its own pyproject.toml) into
    a folder put on sys.path, so that its entry point is found as any installed one."""
    target = tmp_path_factory.mktemp("site-packages")
    # Built from a copy, so that setuptools' build/ folder never lands in the checkout.
    source = tmp_path_factory.mktemp("external-plugin") / "src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--no-build-isolation", "--target", str(target), str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    sys.path.insert(0, str(target))
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        sys.modules.pop("tacit_hello.plugin", None)
        sys.modules.pop("tacit_hello", None)
        get_plugin_manager.cache_clear()


@pytest.fixture
def site_plugins(settings) -> Iterator:  # noqa: ANN001
    """Rebuild the process-wide manager from ``TACIT_PLUGINS`` (and entry points) for a test."""

    def use(*modules: str, timeout: float = 0.5) -> None:
        settings.TACIT_PLUGINS = list(modules)
        settings.PLUGIN_PANEL_TIMEOUT = timeout
        get_plugin_manager.cache_clear()

    yield use
    get_plugin_manager.cache_clear()


def test_the_external_package_registers_through_its_entry_point(
    installed_external_plugin,
    site_plugins,
    wiki_page,
    space,
    teammate,
    client_for,  # noqa: ANN001
) -> None:
    site_plugins()
    assert "tacit_hello.plugin" in str(get_plugin_manager().list_name_plugin())
    client = client_for(teammate)
    html = client.get(f"/wiki/{space.key}/{wiki_page.path}/").content.decode()
    assert "Hello Teammate, this is the page “Deploy guide”." in html
    assert 'href="/profile/#hello">Hello</a>' in html  # its navigation link
    assert "this is the space" in client.get(f"/wiki/{space.key}/").content.decode()
    assert "this is the person" in client.get("/profile/").content.decode()
    # Signed out, nothing is asked of plugins.
    assert "Hello" not in client_for(None).get("/accounts/login/").content.decode()


def test_a_raising_plugin_is_logged_and_left_out(caplog) -> None:  # noqa: ANN001
    pm = build_plugin_manager([], load_entry_points=False)
    pm.register(panel_plugins.Raising(), name="raising")
    with caplog.at_level(logging.ERROR, logger="plugins.manager"):
        assert plugin_navigation(VIEWER, pm) == []
        assert plugin_panels(VIEWER, TARGET, pm) == []
    assert "raising failed in tacit_navigation" in caplog.text
    assert "raising failed in tacit_panels" in caplog.text


def test_a_slow_panel_is_left_out_and_the_others_shown(settings, caplog) -> None:  # noqa: ANN001
    import time

    settings.PLUGIN_PANEL_TIMEOUT = 0.3
    pm = build_plugin_manager([], load_entry_points=False)
    pm.register(panel_plugins.Slow(), name="slow")
    pm.register(panel_plugins.Unsafe(), name="unsafe")
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="plugins.manager"):
        panels = plugin_panels(VIEWER, TARGET, pm)
    assert time.monotonic() - started < 1.5
    assert [panel.title for panel in panels] == ["Unsafe"]
    assert "slow took longer than 0.30 s in tacit_panels on page 7" in caplog.text


def test_what_a_plugin_returns_is_checked_and_sanitised(caplog) -> None:  # noqa: ANN001
    pm = build_plugin_manager([], load_entry_points=False)
    pm.register(panel_plugins.Unsafe(), name="unsafe")
    with caplog.at_level(logging.ERROR, logger="plugins.manager"):
        entries = plugin_navigation(VIEWER, pm)
        (panel,) = plugin_panels(VIEWER, TARGET, pm)
    assert [(e.label, e.url) for e in entries] == [("Rhythms", "/rhythms/")]
    assert "<script" not in panel.html and "onclick" not in panel.html
    assert "javascript:" not in panel.html and 'href="https://example.org"' in panel.html
    assert panel.key == "unsafe:x"
    assert "as a navigation entry; dropped" in caplog.text and "as a panel; dropped" in caplog.text


def test_a_page_renders_when_its_plugins_fail(
    site_plugins,
    wiki_page,
    space,
    teammate,
    client_for,
    monkeypatch,  # noqa: ANN001
) -> None:
    pm = build_plugin_manager([], load_entry_points=False)
    pm.register(panel_plugins.Raising(), name="raising")
    pm.register(panel_plugins.Slow(), name="slow")
    site_plugins(timeout=0.3)
    monkeypatch.setattr(manager, "get_plugin_manager", lambda: pm)
    response = client_for(teammate).get(f"/wiki/{space.key}/{wiki_page.path}/")
    assert response.status_code == 200 and "Deploy guide" in response.content.decode()
    assert "Too late" not in response.content.decode()
