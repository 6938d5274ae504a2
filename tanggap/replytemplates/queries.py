"""Reads of templates: a workspace's list, and the composer's list for one case (filled in,
suggested ones first)."""

from __future__ import annotations

from dataclasses import dataclass

from tanggap.cases import templating
from tanggap.errors import InvalidInput
from tanggap.replytemplates.models import ReplyTemplate


def templates_of(workspace_ids) -> list[ReplyTemplate]:
    return list(ReplyTemplate.objects.filter(workspace_id__in=list(workspace_ids))
                .select_related("workspace").order_by("name", "id"))


@dataclass(frozen=True)
class Offer:
    template: ReplyTemplate
    text: str | None  # filled in; None when this case lacks a value for a field
    missing: list[str]
    suggested: bool


def _score(template: ReplyTemplate, case) -> int:
    return (2 if case.topic and case.topic in template.topics else 0) + (
        1 if case.intent and case.intent in template.intents else 0)


def offers_for(*, case, actor) -> list[Offer]:
    """The case's workspace's templates filled in for it: those made for its topic and intent
    first (topic and intent, then topic, then intent), then the rest by name."""
    values = templating.values_for(case=case, actor=actor)
    offers = []
    for template in ReplyTemplate.objects.filter(workspace_id=case.workspace_id):
        try:
            missing = templating.missing_fields(template.text, values)
        except InvalidInput as exc:  # a field whose room is no longer installed
            missing = list(exc.extra.get("unknown", []))
        text = None if missing else template.text.format_map(values)
        offers.append(Offer(template, text, missing, _score(template, case) > 0))
    offers.sort(key=lambda o: (-_score(o.template, case), o.template.name.casefold()))
    return offers


def grouped_by_topic(workspace_id: int, labels: dict) -> list[tuple[str, list[ReplyTemplate]]]:
    """The templates page: (topic label, templates) in the order of the topic list, a template
    under each topic it names, those for any topic last."""
    rows = list(ReplyTemplate.objects.filter(workspace_id=workspace_id).order_by("name", "id"))
    groups = []
    for topic, label in labels.items():
        members = [t for t in rows if topic in t.topics]
        if members:
            groups.append((str(label), members))
    general = [t for t in rows if not t.topics]
    if general:
        groups.append(("", general))
    return groups
