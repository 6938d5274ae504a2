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


FIXED = ("{% load i18n static desk_fragments %}{% fixed %}<a href=\"{% url 'home' %}\" "
         "title=\"{% trans 'Log out' %}\">{% static 'web/desk.css' %}</a>{% endfixed %}")


def test_a_fixed_block_is_its_bodys_bytes_kept_per_language():
    inner = FIXED.replace("{% fixed %}", "").replace("{% endfixed %}", "")
    template = Template(FIXED)
    node = next(n for n in template.nodelist if isinstance(n, desk_fragments.FixedNode))
    for language, words in (("id", "Keluar"), ("en", "Log out")):
        with translation.override(language):
            printed = template.render(Context())
            assert printed == Template(inner).render(Context()) and words in printed
    assert sorted(key[0] for key in node.rendered) == ["en", "id"]
    # Kept: what is printed again is the kept text, not a new rendering.
    with translation.override("en"):
        node.rendered[("en", True, "/")] = "kept"
        assert template.render(Context()) == "kept"


@pytest.mark.parametrize("body", [
    "{{ user.username }}", "{% trans greeting %}", "{% trans 'x' as y %}",
    "{% url 'inbox' workspace.slug %}", "{% url 'api:cases' %}", "{% static path %}",
    "{% if user %}x{% endif %}", "{% trans 'x'|upper %}", "{% csrf_token %}",
    "{% include 'web/_help.html' %}",
])
def test_a_fixed_block_refuses_what_reads_the_context(body):
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="fixed"):
        Template("{% load i18n static desk_fragments %}{% fixed %}" + body + "{% endfixed %}")


def test_the_inbox_keeps_its_fixed_markup_per_language(desk):
    """The whole inbox page in one language, then the other: nothing of the first is kept
    for the second (the base layout's and the filter form's fixed blocks)."""
    client = desk.ani.client
    client.force_login(desk.ani.user)
    for language, words in (("id", ("Keluar", "Semua kanal")), ("en", ("Log out", "All channels"))):
        client.cookies["django_language"] = language
        page = client.get("/w/bpn/").content.decode()
        assert all(word in page for word in words), language
