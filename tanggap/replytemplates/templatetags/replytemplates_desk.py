"""The canned replies' part of the case page: the composer's picker (opened with `/` at the
start of a line of the reply, or the `t` key), which asks REST v1 for the case's templates
filled in when it opens, so they are never stale."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("replytemplates/_picker.html", takes_context=True)
def composer_templates(context, case):
    return {"case": case, "workspace": context.get("workspace")}
