"""Filters that put the language engine's reasons in the reader's language."""

from django import template

from tanggap.cases.language import reason_label

register = template.Library()


@register.filter
def reason(value) -> str:
    return reason_label(value)
