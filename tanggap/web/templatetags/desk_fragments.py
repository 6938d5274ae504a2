"""Fixed fragments of the desk's pages, rendered once per language in each process: whole
includes (`{% fixed_include %}`) and blocks of a page (`{% fixed %}`)."""

from django import template
from django.conf import settings
from django.template.base import TextNode, Variable
from django.template.defaulttags import LoadNode, URLNode
from django.template.loader import get_template
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_rendered: dict[tuple[str, str], SafeString] = {}


@register.simple_tag
def fixed_include(name: str) -> SafeString:
    """`{% include name %}` for a template that reads nothing from its context (markup and
    `{% trans %}` only; test_desk_fragments checks each one used), kept per language: the
    help overlay and the scripts' strings were some 26 translations on every inbox page.
    Rendered every time while DEBUG, so an edited template shows at once."""
    key = (name, get_language())
    text = None if settings.DEBUG else _rendered.get(key)
    if text is None:
        text = _rendered[key] = mark_safe(get_template(name).render({}))
    return text


def _constant(expression) -> bool:
    """A filter expression that is a literal, with no filter: what it prints reads no context."""
    if expression.filters:
        return False
    var = expression.var
    return not isinstance(var, Variable) or var.lookups is None


def _fixed_node(node) -> bool:
    if isinstance(node, TextNode | LoadNode):
        return True
    if isinstance(node, TranslateNode):
        return (not node.asvar and _constant(node.filter_expression)
                and (node.message_context is None or _constant(node.message_context)))
    if isinstance(node, StaticNode):
        return node.varname is None and _constant(node.path)
    if isinstance(node, URLNode):
        # A name outside any namespace, without arguments: the request's current app, which
        # a namespaced name would read, plays no part; the script prefix is in the key.
        return (not node.asvar and not node.args and not node.kwargs
                and _constant(node.view_name) and ":" not in str(node.view_name.var))
    return False


class FixedNode(template.Node):
    """The body of `{% fixed %}`, printed once per language, autoescaping and script prefix."""

    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered: dict[tuple, SafeString] = {}

    def render(self, context) -> SafeString:
        key = (get_language(), context.autoescape, get_script_prefix())
        text = None if settings.DEBUG else self.rendered.get(key)
        if text is None:
            text = self.rendered[key] = mark_safe(self.nodelist.render(context))
        return text


@register.tag
def fixed(parser, token):
    """`{% fixed %}…{% endfixed %}`: markup that reads nothing from its context, printed once
    per language in each process (every time while DEBUG). Only text, constant `{% trans %}`,
    `{% static %}` and argument-less `{% url %}` may be inside: anything else is refused when
    the template is parsed, so no request's value can be kept. The base layout and the inbox
    form spent some 60 translations, a dozen static paths and URLs on every page."""
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    refused = [node for node in nodelist if not _fixed_node(node)]
    if refused:
        raise template.TemplateSyntaxError(
            f"{{% fixed %}} holds only constant text, trans, static and url: not {refused[0]!r}")
    return FixedNode(nodelist)
