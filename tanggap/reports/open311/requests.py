"""Service requests of GeoReport v2: reading them (every case of the jurisdiction's desk, as
anyone may see it: reports.public's rules) and posting one (a case on the workspace's built-in
web channel, like the citizen portal, through cases.actions.ingest_inbound).

Reading never shows personal data: no name, contact, account, exact point or address, no
tracking number (it opens the citizen's status page) and no words, except the citizen's first
words on a case the desk made public. `lat`/`long` are the centre of the case's area, about
1.1 km across (reports.locations)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.actions import ingest_inbound
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseStatus, Direction, Message
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.errors import DeskError
from tanggap.reports import locations
from tanggap.reports.models import CaseFact, Open311Request, PublicMark, ReferralFact
from tanggap.reports.open311 import SUBMITTED, services
from tanggap.reports.open311.formats import Open311Error
from tanggap.reports.rollup import zone

MAX_DESCRIPTION = 4000  # the specification's limit (the desk's own is larger)
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)

def _status_note(status: str) -> str:
    notes = {
        CaseStatus.BARU: _("Received"), CaseStatus.DIKLAIM: _("Being handled"),
        CaseStatus.DIJAWAB: _("Answered"), CaseStatus.MENUNGGU: _("In progress"),
        CaseStatus.SELESAI: _("Done"), CaseStatus.DITUTUP: _("Closed"),
    }
    return str(notes.get(status, _("Referred to the responsible body")))


def w3(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(zone()).replace(microsecond=0).isoformat()


def parse_w3(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Open311Error(400, _("%(field)s must be a date and time like "
                                  "2026-11-01T00:00:00Z.") % {"field": name}) from None
    if value.tzinfo is None:
        raise Open311Error(400, _("%(field)s must name its time zone (Z or +08:00).")
                           % {"field": name})
    return value


# ---------------------------------------------------------------------------------------------
# Reading


def find(workspace, params, *, now: datetime) -> list[dict]:
    cases = Case.objects.filter(workspace=workspace)
    ids = (params.get("service_request_id") or "").strip()
    if ids:
        # "This overrides all other arguments."
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        if not all(part.isdigit() for part in wanted):
            raise Open311Error(400, _("service_request_id must be numbers, comma separated."))
        cases = cases.filter(pk__in=[int(part) for part in wanted])
    else:
        codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
        unknown = [c for c in codes if c not in services.GROUPS]
        if unknown:
            raise Open311Error(404, _("service_code %(code)s was not found.")
                               % {"code": ", ".join(unknown)})
        if codes:
            cases = cases.filter(Q(open311_request__service_code__in=codes)
                                 | Q(open311_request__isnull=True, topic__in=codes))
        start_raw, end_raw = (params.get("start_date") or "").strip(), (
            params.get("end_date") or "").strip()
        end = parse_w3(end_raw, "end_date") if end_raw else None
        start = parse_w3(start_raw, "start_date") if start_raw else None
        if start is None and end is None:
            end, start = now, now - MAX_SPAN
        elif start is None:
            start = end - MAX_SPAN
        elif end is None:
            end = min(now, start + MAX_SPAN)
        if start > end:
            raise Open311Error(400, _("start_date is after end_date."))
        if end - start > MAX_SPAN:
            raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
        cases = cases.filter(created_at__gte=start, created_at__lte=end)
        statuses = [s.strip() for s in (params.get("status") or "").split(",") if s.strip()]
        if any(s not in ("open", "closed") for s in statuses):
            raise Open311Error(400, _("status must be open, closed, or both."))
        if statuses == ["open"]:
            cases = cases.exclude(status__in=CLOSED_STATUSES)
        elif statuses == ["closed"]:
            cases = cases.filter(status__in=CLOSED_STATUSES)
    found = list(cases.select_related("open311_request").order_by("-created_at", "-pk")
                 [:MAX_RESULTS])
    return records(workspace, found)


def records(workspace, cases: list[Case]) -> list[dict]:
    ids = [c.pk for c in cases]
    facts = {f.case_id: f for f in CaseFact.objects.filter(case_id__in=ids)}
    public = set(PublicMark.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
    words = {}
    for case_id, text in (Message.objects.filter(case_id__in=public, direction=Direction.IN)
                          .order_by("-id").values_list("case_id", "text")):
        words[case_id] = text  # newest first: the first message is written last
    referrals: dict[int, ReferralFact] = {}
    for referral in ReferralFact.objects.filter(case_id__in=ids).order_by("created_at"):
        referrals[referral.case_id] = referral
    out = []
    for case in cases:
        fact = facts.get(case.pk)
        # A reverse one-to-one that is absent raises a subclass of AttributeError.
        request = getattr(case, "open311_request", None)
        code = request.service_code if request is not None else (case.topic or "lainnya")
        centre = locations.area_centre(fact.area) if fact is not None and fact.area else None
        referral = referrals.get(case.pk)
        closed = case.status in CLOSED_STATUSES
        description = words.get(case.pk) if case.pk in public else None
        if description is not None:
            description = description[:MAX_DESCRIPTION]
        out.append({
            "service_request_id": case.pk,
            "status": "closed" if closed else "open",
            "status_notes": _status_note(case.status),
            "service_name": services.name_of(code),
            "service_code": code,
            "description": description,
            "agency_responsible": referral.body_name if referral is not None else workspace.name,
            "service_notice": None,
            "requested_datetime": w3(case.created_at),
            "updated_datetime": w3(fact.resolved_at if closed and fact is not None
                                   and fact.resolved_at else case.updated_at),
            "expected_datetime": w3(referral.follow_up_due_at) if referral is not None
            and referral.closed_at is None else None,
            "address": None,
            "address_id": None,
            "zipcode": None,
            "lat": centre[0] if centre else None,
            "long": centre[1] if centre else None,
            "media_url": None,
        })
    return out


# ---------------------------------------------------------------------------------------------
# Posting


@dataclass(frozen=True)
class Posted:
    case: Case
    tracking_number: str


def _field(params, name: str, limit: int) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, _("%(field)s is longer than %(limit)d characters.")
                           % {"field": name, "limit": limit})
    return value


def _coordinate(raw: str, name: str, bound: int) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Open311Error(400, _("%(field)s must be a number.") % {"field": name}) from None
    if not value.is_finite() or not -bound <= value <= bound:
        raise Open311Error(400, _("%(field)s must be between -%(bound)d and %(bound)d.")
                           % {"field": name, "bound": bound})
    return value.quantize(Decimal("0.000001"))


def post(workspace, user, params, *, now: datetime) -> Posted:
    """Validate everything first, then store the case and the request in one transaction:
    nothing is stored on any refusal."""
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    if code not in services.GROUPS:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code})
    lat_raw, long_raw = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    if bool(lat_raw) != bool(long_raw):
        raise Open311Error(400, _("lat and long must be sent together."))
    lat = _coordinate(lat_raw, "lat", 90) if lat_raw else None
    lon = _coordinate(long_raw, "long", 180) if long_raw else None
    address = _field(params, "address_string", 300)
    address_id = _field(params, "address_id", 100)
    if lat is None and not address and not address_id:
        raise Open311Error(400, _("A location is required: lat and long, address_string or "
                                  "address_id."))
    description = (params.get("description") or "").strip()
    if len(description) > min(MAX_DESCRIPTION, settings.TANGGAP_MAX_MESSAGE_CHARS):
        raise Open311Error(400, _("description is longer than %(limit)d characters.")
                           % {"limit": min(MAX_DESCRIPTION, settings.TANGGAP_MAX_MESSAGE_CHARS)})
    email = _field(params, "email", 200).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email is not a valid e-mail address.")) from None
    media_url = _field(params, "media_url", 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise Open311Error(400, _("media_url must be an http or https URL.")) from None
    first_name, last_name = _field(params, "first_name", 100), _field(params, "last_name", 100)
    phone = _field(params, "phone", 40)
    account_id, device_id = _field(params, "account_id", 100), _field(params, "device_id", 100)
    attributes = {key: params.getlist(key) for key in params if key.startswith("attribute[")}
    channel = (ChannelAccount.objects.filter(workspace=workspace, platform=Platform.WEB,
                                             is_active=True).order_by("created_at", "pk").first())
    if channel is None:
        raise Open311Error(400, _("This desk has no web channel to take requests."))
    text = description or " · ".join(p for p in (services.name_of(code), address) if p)
    external_id = f"open311-{secrets.token_hex(12)}"
    name = " ".join(p for p in (first_name, last_name) if p) or "Warga"
    try:
        with transaction.atomic():
            result = ingest_inbound(
                channel=channel, external_id=external_id, author_id=external_id,
                author_name=name, text=text, now=now, thread_id=external_id)
            request = Open311Request.objects.create(
                workspace=workspace, case=result.case, service_code=code, submitted_by=user,
                latitude=lat, longitude=lon, address=address, address_id=address_id,
                first_name=first_name, last_name=last_name, email=email, phone=phone,
                account_id=account_id, device_id=device_id, media_url=media_url,
                attributes=attributes, created_at=now)
            # Flags only: the audit trail must not become a second copy of personal data.
            events.record(workspace_id=workspace.pk, actor=user, action=SUBMITTED, now=now,
                          case=result.case, obj=request,
                          after={"service_code": code, "location": lat is not None,
                                 "address": bool(address or address_id),
                                 "contact": bool(email or phone), "media": bool(media_url)})
    except DeskError as exc:
        raise Open311Error(400, str(exc.message)) from None
    return Posted(result.case, result.case.tracking_number)


def notice(posted: Posted, request) -> str:
    link = request.build_absolute_uri(reverse("portal_status", args=[posted.tracking_number]))
    return _("Your tracking number is %(number)s. Follow the report at %(link)s") % {
        "number": posted.tracking_number, "link": link}
