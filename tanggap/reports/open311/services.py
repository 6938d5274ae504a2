"""The services of the GeoReport v2 API: the desk's topic taxonomy (tanggap.language.TOPICS),
one service per topic, grouped as a city's offices divide the work."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanggap import language
from tanggap.cases.language import TOPIC_LABELS

# Bumped when the taxonomy or these groups change: clients refresh their cached service list.
CHANGESET = "2026-11-01 00:00"

GROUPS = {
    "air_bersih": "utilitas", "listrik": "utilitas",
    "penerangan_jalan": "infrastruktur", "jalan": "infrastruktur",
    "drainase_banjir": "infrastruktur",
    "sampah_kebersihan": "lingkungan", "lingkungan_taman": "lingkungan",
    "lalu_lintas_parkir": "ketertiban", "ketertiban_umum": "ketertiban",
    "adminduk": "layanan", "kesehatan": "layanan", "pendidikan": "layanan",
    "sosial_bansos": "layanan", "ketenagakerjaan": "layanan",
    "perumahan_pertanahan": "layanan", "bencana_darurat": "darurat", "lainnya": "lainnya",
}
DESCRIPTIONS = {
    "air_bersih": gettext_lazy("Clean water supply: no water, low pressure, dirty water, leaks."),
    "listrik": gettext_lazy("Electricity: power cuts and the grid (passed on to PLN)."),
    "penerangan_jalan": gettext_lazy("Street lights that are out, flicker or are damaged."),
    "jalan": gettext_lazy("Roads and pavements: potholes, damage, repairs."),
    "drainase_banjir": gettext_lazy("Drains, gutters and flooding."),
    "sampah_kebersihan": gettext_lazy("Waste collection and cleanliness."),
    "lingkungan_taman": gettext_lazy("Parks, trees, pollution and the environment."),
    "lalu_lintas_parkir": gettext_lazy("Traffic, traffic lights and parking."),
    "adminduk": gettext_lazy("Civil registration: ID cards, family cards, certificates."),
    "kesehatan": gettext_lazy("Health services and health centres."),
    "pendidikan": gettext_lazy("Schools and admissions."),
    "sosial_bansos": gettext_lazy("Social aid and welfare."),
    "ketertiban_umum": gettext_lazy("Public order and nuisances."),
    "perumahan_pertanahan": gettext_lazy("Housing and land."),
    "ketenagakerjaan": gettext_lazy("Employment and job seekers."),
    "bencana_darurat": gettext_lazy("Disasters and emergencies (for life-threatening "
                                    "emergencies call 112)."),
    "lainnya": gettext_lazy("Anything else."),
}
assert set(GROUPS) == set(DESCRIPTIONS) == set(language.TOPICS)


def service(code: str) -> dict:
    return {
        "service_code": code,
        "service_name": str(TOPIC_LABELS[code]),
        "description": str(DESCRIPTIONS[code]),
        "metadata": False,
        "type": "realtime",
        "keywords": code.replace("_", ", "),
        "group": GROUPS[code],
    }


def all_services() -> list[dict]:
    return [service(code) for code in language.TOPICS]


def definition(code: str) -> dict:
    # No service asks for more than the standard fields, so no attributes (metadata false).
    return {"service_code": code, "attributes": []}


def name_of(code: str) -> str:
    return str(TOPIC_LABELS.get(code, _("Other")))
