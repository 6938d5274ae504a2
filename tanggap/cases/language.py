"""The desk's use of the language engine (tanggap.language): triage on arrival, tone on reply.

The engine is a plain library; this module only decides which model the desk uses: the
workspace's own model, trained from its operators' corrections (cases/learning.py), if it has
one; else the model of TANGGAP_LANGUAGE_MODEL; else none, and triage runs cold on the built-in
lexicons and rules. A model file that will not load is skipped the same way, so a bad file can
never stop the desk from working.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tanggap import language
from tanggap.cases.models import CaseKind

logger = logging.getLogger(__name__)

INTENT_TO_KIND = {
    "pertanyaan": CaseKind.PERTANYAAN,
    "aduan": CaseKind.ADUAN,
    "apresiasi": CaseKind.APRESIASI,
}


TOPIC_LABELS = {
    "air_bersih": _("Clean water"),
    "listrik": _("Electricity"),
    "penerangan_jalan": _("Street lighting"),
    "jalan": _("Roads"),
    "drainase_banjir": _("Drainage and floods"),
    "sampah_kebersihan": _("Waste and cleanliness"),
    "lingkungan_taman": _("Environment and parks"),
    "lalu_lintas_parkir": _("Traffic and parking"),
    "adminduk": _("Civil registration"),
    "kesehatan": _("Health"),
    "pendidikan": _("Education"),
    "sosial_bansos": _("Social aid"),
    "ketertiban_umum": _("Public order"),
    "perumahan_pertanahan": _("Housing and land"),
    "ketenagakerjaan": _("Employment"),
    "bencana_darurat": _("Disasters and emergencies"),
    "lainnya": _("Other"),
}
INTENT_LABELS = {
    "pertanyaan": _("Question"),
    "aduan": _("Complaint"),
    "apresiasi": _("Appreciation"),
    "saran": _("Suggestion"),
    "spam": _("Spam"),
    "lainnya": _("Other"),
}
assert tuple(TOPIC_LABELS) == language.TOPICS and tuple(INTENT_LABELS) == language.INTENTS


@cache
def _model(path: str):
    if not path:
        return None
    try:
        return language.load_model(path)
    except (OSError, ValueError):
        logger.exception("language model %s not loaded; triage runs cold", path)
        return None


def triage(text: str, *, workspace_id: int | None = None, now: datetime | None = None) -> dict:
    """The engine's reading of `text` as JSON (Triage.as_dict()), with the workspace's own
    model when `workspace_id` is given and it has one (`now`, required with it: when, for the
    check for a newer model)."""
    model = None
    if workspace_id is not None:
        if now is None:
            raise TypeError("triage(workspace_id=...) needs now")
        from tanggap.cases.learning import workspace_model

        model = workspace_model(workspace_id, now=now)
    if model is None:
        model = _model(settings.TANGGAP_LANGUAGE_MODEL)
    return language.classify(text, model=model).as_dict()


# The tone guard's findings in the reader's language (the engine writes them in Indonesian).
FINDING_MESSAGES = {
    "huruf_kapital": _("This sentence is all in capitals and reads as shouting. Use a capital "
                       "only at the start of a sentence."),
    "penekanan_kapital": _("A word in capitals for emphasis reads as impatient."),
    "tanda_seru": _("Repeated exclamation marks read as shouting. Use one full stop."),
    "kata_kasar": _("An abusive or degrading word. An official reply must not contain it."),
    "hinaan": _("A phrase that belittles the citizen. Remove it and say it politely."),
    "sapaan_kasar": _("An impolite way to address a citizen. Use Bapak/Ibu or Anda."),
    "meremehkan": _("A dismissive or blaming phrase. Explain the steps the citizen can take."),
    "sindiran": _("A marker of sarcasm or joking; it may read as mocking the citizen."),
    "tidak_sabar": _("An impatient phrase. Say it calmly."),
    "kutipan": _("An abusive word quoted from the citizen's message; make sure it needs "
                 "quoting."),
    "tanpa_salam": _("A reply to a complaint should greet, thank or apologise."),
}


def finding_json(finding: language.Finding) -> dict:
    """A finding for the API and the pages, its message in the reader's language."""
    message = FINDING_MESSAGES.get(finding.code)
    return {**finding.as_dict(), "message": str(message) if message else finding.message}


def tone(text: str, *, inbound_kind: str | None = None) -> language.ToneResult:
    """The verdict on a reply; its suggestion, when it has one, is a version the guard passes
    (language.suggest_rewrite), never a half-fixed text that would be refused again."""
    result = language.check_tone(text, inbound_kind=inbound_kind)
    if result.verdict == "ok":
        return replace(result, suggestion=None)
    return replace(result, suggestion=language.suggest_rewrite(text, inbound_kind=inbound_kind))


def tone_json(result: language.ToneResult) -> dict:
    return {"verdict": result.verdict, "findings": [finding_json(f) for f in result.findings],
            "suggestion": result.suggestion}


# The engine's reasons are "kind:detail" in Indonesian ("topik:lampu pju", "intent:tanda
# tanya", "model:topik listrik 0.83"): the detail is mostly the citizen's own words, shown as
# written; the engine's fixed phrases and the kind are put in the reader's language.
REASON_PHRASES = {
    "tanda tanya": _("a question mark"),
    "pertanyaan menuntut": _("a demanding question"),
    "tautan": _("a link"),
    "banyak mention": _("many mentions"),
    "laporan tanpa isyarat": _("a report without other signs"),
}


def reason_label(reason: str) -> str:
    """One of the engine's reasons for the reader: "topic: lampu pju", "unsure (45%)"."""
    kind, _sep, detail = str(reason).partition(":")
    if kind == "topik" and detail.startswith("perlu dicek"):
        return str(_("unsure (%(percent)s%%)") % {"percent": _percent(detail.split()[-1])})
    if kind == "model":
        what, _space, rest = detail.partition(" ")
        parts = rest.split()
        if what in ("topik", "intent") and len(parts) == 2:
            label = (TOPIC_LABELS if what == "topik" else INTENT_LABELS).get(parts[0], parts[0])
            return str(_("the desk's model: %(label)s (%(percent)s%%)")
                       % {"label": label, "percent": _percent(parts[1])})
        if what == "kasar" and len(parts) == 1:
            return str(_("the desk's model: abusive (%(percent)s%%)")
                       % {"percent": _percent(parts[0])})
        return str(_("the desk's model: %(words)s") % {"words": detail})
    phrase = REASON_PHRASES.get(detail)
    words = str(phrase) if phrase is not None else detail
    label = {"topik": _("topic: %(words)s"), "intent": _("intent: %(words)s"),
             "kasar": _("abusive: %(words)s")}.get(kind)
    return str(label % {"words": words}) if label is not None else str(reason)


def _percent(value: str) -> str:
    try:
        return str(round(float(value) * 100))
    except ValueError:
        return value

