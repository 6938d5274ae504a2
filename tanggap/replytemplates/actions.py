"""Writing templates. Each action owns its transaction and writes an audit event in it.

A template's text passes the tone guard when it is saved, as a reply would at send time: a
`block` verdict is refused with the findings (nothing saved), a `warn` needs `confirm_tone`
(audited). Its fields must be ones the desk knows (cases.templating). The filled-in text is
checked again when it is sent, by cases.actions.send_reply, like any reply.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap import language as engine
from tanggap.audit import events
from tanggap.cases import language as desk_language
from tanggap.cases import templating
from tanggap.cases.cleaning import clean_name, clean_text
from tanggap.errors import Conflict, InvalidInput, ToneBlocked, ToneNeedsConfirmation
from tanggap.replytemplates.access import require_editor
from tanggap.replytemplates.models import ReplyTemplate

MAX_TEMPLATE_CHARS = 5_000
MAX_NAME_CHARS = 100


def _choices(value, *, field: str, allowed) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(_("'%(field)s' must be a list of strings.") % {"field": field},
                           field=field)
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise InvalidInput(_("Unknown %(field)s %(values)s; use %(choices)s.")
                           % {"field": field, "values": ", ".join(unknown),
                              "choices": ", ".join(allowed)}, field=field)
    return list(dict.fromkeys(value))


def _clean(name, text, topics, intents, confirm_tone) -> tuple[str, str, list, list]:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(_("'name' must be a non-empty string."), field="name")
    name = clean_name(name)
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput(_("'name' must be 1 to %(limit)d characters.")
                           % {"limit": MAX_NAME_CHARS}, field="name")
    text = clean_text(text, limit=MAX_TEMPLATE_CHARS)
    templating.fields_of(text)
    if not isinstance(confirm_tone, bool):
        raise InvalidInput(_("'confirm_tone' must be true or false."), field="confirm_tone")
    topics = _choices(topics, field="topics", allowed=engine.TOPICS)
    intents = _choices(intents, field="intents", allowed=engine.INTENTS)
    verdict = desk_language.tone(text)
    findings = [desk_language.finding_json(f) for f in verdict.findings]
    if verdict.verdict == "block":
        raise ToneBlocked(findings=findings, suggestion=verdict.suggestion)
    if verdict.verdict == "warn" and not confirm_tone:
        raise ToneNeedsConfirmation(findings=findings, suggestion=verdict.suggestion)
    return name, text, topics, intents


def _snapshot(template: ReplyTemplate) -> dict:
    return {"name": template.name, "text": template.text, "topics": template.topics,
            "intents": template.intents}


def create_template(*, membership, actor, name, text, now: datetime, topics=None, intents=None,
                    confirm_tone=False) -> ReplyTemplate:
    require_editor(membership)
    name, text, topics, intents = _clean(name, text, topics, intents, confirm_tone)
    try:
        with transaction.atomic():
            template = ReplyTemplate.objects.create(
                workspace_id=membership.workspace_id, name=name, text=text, topics=topics,
                intents=intents, created_by=actor, created_at=now, updated_at=now)
            events.record(workspace_id=membership.workspace_id, actor=actor, now=now,
                          obj=template, action="template.created",
                          after={**_snapshot(template), "tone_confirmed": confirm_tone})
    except IntegrityError:
        raise Conflict(_("A template named %(name)r exists already.")
                       % {"name": name}) from None
    return template


def update_template(*, template_id: int, membership, actor, now: datetime, name=None, text=None,
                    topics=None, intents=None, confirm_tone=False) -> ReplyTemplate:
    require_editor(membership)
    try:
        with transaction.atomic():
            template = ReplyTemplate.objects.select_for_update().get(pk=template_id)
            before = _snapshot(template)
            name, text, topics, intents = _clean(
                template.name if name is None else name, template.text if text is None else text,
                template.topics if topics is None else topics,
                template.intents if intents is None else intents, confirm_tone)
            template.name, template.text = name, text
            template.topics, template.intents, template.updated_at = topics, intents, now
            template.save(update_fields=["name", "text", "topics", "intents", "updated_at"])
            events.record(workspace_id=template.workspace_id, actor=actor, now=now,
                          obj=template, action="template.updated", before=before,
                          after={**_snapshot(template), "tone_confirmed": confirm_tone})
    except IntegrityError:
        raise Conflict(_("A template named %(name)r exists already.")
                       % {"name": name}) from None
    return template


def delete_template(*, template_id: int, membership, actor, now: datetime) -> None:
    require_editor(membership)
    with transaction.atomic():
        template = ReplyTemplate.objects.select_for_update().get(pk=template_id)
        events.record(workspace_id=template.workspace_id, actor=actor, now=now, obj=template,
                      action="template.deleted", before=_snapshot(template))
        template.delete()
