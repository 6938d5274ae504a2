"""The desk's use of the language engine (tanggap.language): triage on arrival, tone on reply.

The engine is a plain library; this module only decides which model the desk uses. With
TANGGAP_LANGUAGE_MODEL unset, or naming a file that will not load, triage runs cold on the
built-in lexicons and rules, so a bad model file can never stop the desk from working.
"""

from __future__ import annotations

import logging
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


def triage(text: str) -> dict:
    return language.classify(text, model=_model(settings.TANGGAP_LANGUAGE_MODEL)).as_dict()


def tone(text: str, *, inbound_kind: str | None = None) -> language.ToneResult:
    return language.check_tone(text, inbound_kind=inbound_kind)
