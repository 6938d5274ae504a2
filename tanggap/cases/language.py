"""The desk's use of the language engine (tanggap.language): triage on arrival, tone on reply.

The engine is a plain library; this module only decides which model the desk uses. With
TANGGAP_LANGUAGE_MODEL unset, or naming a file that will not load, triage runs cold on the
built-in lexicons and rules, so a bad model file can never stop the desk from working.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings

from tanggap import language
from tanggap.cases.models import CaseKind

logger = logging.getLogger(__name__)

INTENT_TO_KIND = {
    "pertanyaan": CaseKind.PERTANYAAN,
    "aduan": CaseKind.ADUAN,
    "apresiasi": CaseKind.APRESIASI,
}


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
