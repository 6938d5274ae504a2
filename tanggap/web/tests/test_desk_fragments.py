"""The fragments kept per language (`{% fixed_include %}`) are what `{% include %}` printed."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.utils import translation

from tanggap.web.templatetags import desk_fragments

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def _used() -> set[str]:
    names = set()
    for page in TEMPLATES.rglob("*.html"):
        names |= set(re.findall(r'{% fixed_include "([^"]+)" %}', page.read_text()))
    return names


def test_the_inbox_uses_fragments():
    assert _used() == {"web/_help.html", "web/_js_strings.html"}


@pytest.mark.parametrize("name", sorted(_used()))
def test_a_kept_fragment_reads_nothing_from_its_context(name):
    source = Path(get_template(name).origin.name).read_text()
    tags = re.findall(r"{%\s*(\w+)", source)
    assert set(tags) <= {"load", "trans", "translate"}
    assert "{{" not in source


@pytest.mark.parametrize("name", sorted(_used()))
@pytest.mark.parametrize("language", ["id", "en"])
def test_a_fragment_is_the_includes_bytes_in_each_language(name, language, monkeypatch):
    monkeypatch.setattr(desk_fragments, "_rendered", {})
    with translation.override(language):
        included = Template("{% include name %}").render(Context({"name": name}))
        kept = desk_fragments.fixed_include(name)
        again = desk_fragments.fixed_include(name)
    assert kept == included and again is kept
    assert len(desk_fragments._rendered) == 1
    with translation.override("en" if language == "id" else "id"):
        assert desk_fragments.fixed_include(name) != kept
