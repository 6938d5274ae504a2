"""`{% message_actions m %}`: the desk's platform actions on one message of the case page (today:
hide or show a citizen's Facebook/Instagram comment). Renders nothing for other messages.

The case's moderation records are read once per render (not once per message), and only when
the case is a comment thread at all.
"""

from django import template

from tanggap.connectors.queries import is_hideable, moderations_of_case

register = template.Library()

_CACHE = "connectors.moderations"


@register.inclusion_tag("connectors/_message_actions.html", takes_context=True)
def message_actions(context, message):
    case = context.get("case")
    membership = context.get("membership")
    if case is None or not is_hideable(message, case=case, channel=case.channel):
        return {"show": False}
    cache = context.render_context.setdefault(_CACHE, {})
    if case.pk not in cache:
        cache[case.pk] = moderations_of_case(case)
    first = not context.render_context.get("connectors.script")
    context.render_context["connectors.script"] = True
    record = cache[case.pk].get(message.pk)
    return {
        "show": True,
        "message": message,
        "record": record,
        "platform": case.channel.get_platform_display(),
        "can_write": bool(membership and membership.can_write),
        "include_script": first,
    }
