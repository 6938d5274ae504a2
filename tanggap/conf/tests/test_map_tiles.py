"""TANGGAP_MAP_TILES: its origin joins the CSP's img-src; a template that is not https (but for
a server on this machine) or that lacks {z}/{x}/{y} stops the start, naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tanggap.conf.env import map_tiles_origin


@pytest.mark.parametrize(("template", "origin"), [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://peta.balikpapan.go.id:8443/tiles/{z}/{x}/{y}.png",
     "https://peta.balikpapan.go.id:8443"),
    ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
])
def test_the_origin_of_a_tile_server(template, origin):
    assert map_tiles_origin(template) == origin


@pytest.mark.parametrize("template", [
    "http://tile.openstreetmap.org/{z}/{x}/{y}.png",  # plain http to another machine
    "https://tile.openstreetmap.org/tiles.png",  # no {z}/{x}/{y}
    "javascript:alert(1)//{z}{x}{y}",
    "tile.openstreetmap.org/{z}/{x}/{y}.png",
])
def test_a_bad_tile_server_is_refused_by_name(template):
    with pytest.raises(ImproperlyConfigured, match="TANGGAP_MAP_TILES"):
        map_tiles_origin(template)


def test_the_default_tile_origin_is_in_the_csp(settings):
    from django.conf import settings as live

    assert live.SECURE_CSP["img-src"] == ["'self'", "https://tile.openstreetmap.org"]
