"""The roster of a workspace: its shifts, who works which shift on which weekday (an effective-
dated weekly pattern), one-off changes to single days, time off and swaps a supervisor approves,
and the desk's fair-assignment settings and offers.

Who works when is never stored as instants: a duty is (user, shift, local day), and its instants
are computed in the workspace's time zone when they are needed (tanggap.roster.schedule), so a
shift crossing midnight belongs to the day it starts, and a zone change or a daylight-saving
night moves the instants with the wall clock the team keeps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Shift(models.Model):
    """A named span of the local day: 07:00-15:00, or 23:00-07:00 (it ends the next day)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    name = models.CharField(max_length=60)
    starts = models.TimeField()
    ends = models.TimeField()  # at or before `starts`: the shift ends on the next day
    # A retired shift keeps its history (past duties) and takes no new ones.
    retired = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["starts", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], condition=Q(retired=False),
                                    name="roster_shift_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.starts:%H:%M}-{self.ends:%H:%M}"


class DutyKind(models.TextChoices):
    DESK = "desk", _("On duty")
    ON_CALL = "on_call", _("On call")


class PatternSlot(models.Model):
    """`user` works `shift` every `weekday` (0 Monday) from `valid_from` until the day before
    `valid_until`. A change of pattern ends a slot and starts another, so the past stays as it
    was worked (the fairness view counts it)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=DutyKind.choices, default=DutyKind.DESK)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["workspace", "valid_from"], name="roster_slot_ws_idx")]


class ChangeKind(models.TextChoices):
    ADD = "add", _("Added")
    REMOVE = "remove", _("Removed")


class DayChange(models.Model):
    """A one-off change of one day's roster: someone added to a shift (cover, an extra night) or
    taken off one that the pattern gives them. Swaps are approved as such changes."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="changes")
    day = models.DateField()
    change = models.CharField(max_length=10, choices=ChangeKind.choices)
    kind = models.CharField(max_length=10, choices=DutyKind.choices, default=DutyKind.DESK)
    # Why: "manual" (a supervisor's change) or "swap:<id>".
    source = models.CharField(max_length=40, default="manual")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "shift", "day"], name="roster_change_once"),
        ]
        indexes = [models.Index(fields=["workspace", "day"], name="roster_change_day_idx")]


class RequestStatus(models.TextChoices):
    # A swap first waits for the colleague, then (like time off) for a supervisor.
    WAITING_COLLEAGUE = "menunggu_rekan", _("Waiting for the colleague")
    WAITING = "menunggu", _("Waiting for a supervisor")
    APPROVED = "disetujui", _("Approved")
    REFUSED = "ditolak", _("Refused")
    CANCELLED = "dibatalkan", _("Cancelled")


OPEN_REQUEST_STATUSES = (RequestStatus.WAITING_COLLEAGUE, RequestStatus.WAITING)


class TimeOff(models.Model):
    """Days off one member asks for (leave, sick, a Saturday night out). Approved, they take
    every duty that starts on those days off the roster."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.WAITING)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status", "first_day"],
                                name="roster_timeoff_idx")]


class Swap(models.Model):
    """`requester` gives their duty (`shift`, `day`) to `colleague`, and, when `other_shift` is
    set, takes the colleague's (`other_shift`, `other_day`) in return. The colleague agrees
    first, then a supervisor approves; approval writes the day changes."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    colleague = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+")
    other_shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="+")
    other_day = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.WAITING_COLLEAGUE)
    requested_at = models.DateTimeField()
    colleague_agreed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)


class RosterSettings(models.Model):
    """A workspace's assignment settings. No row: fair assignment off, capacity 10."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE,
                                     related_name="+")
    fair_assignment = models.BooleanField(default=False)
    # Open cases an operator holds (plus open offers) before new ones skip them.
    default_capacity = models.PositiveIntegerField(default=10)
    # An offer nobody claimed after this long goes to the next operator on duty.
    offer_minutes = models.PositiveIntegerField(default=10)
    updated_at = models.DateTimeField()


class Capacity(models.Model):
    """One operator's own capacity (a trainee takes fewer cases)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    capacity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"],
                                               name="roster_capacity_once")]


class OfferKind(models.TextChoices):
    OFFER = "offer", _("Offered by the desk")
    HANDOVER = "handover", _("Handed over")


class Offer(models.Model):
    """A case shown to one operator as "untukmu" (for you): offered by fair assignment, or
    handed over by a colleague with a note. It holds nothing: the claim stays the only way to
    hold a case. At most one open offer per case."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=OfferKind.choices)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    offered_at = models.DateTimeField()
    # Set when the offer ends: claimed, re-offered, the case closed, withdrawn.
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_at__isnull=True),
                                    name="roster_one_open_offer"),
        ]
        indexes = [
            models.Index(fields=["workspace", "user", "ended_at"], name="roster_offer_user_idx"),
        ]


class CoverageGap(models.Model):
    """A time when a rostered workspace had nobody on duty at the desk: shown in the top bar,
    and its supervisors alerted once when it starts."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace"], condition=Q(ended_at__isnull=True),
                                    name="roster_one_open_gap"),
        ]


class CalendarFeed(models.Model):
    """The secret in a member's iCalendar feed URL; resetting it makes a new one and the old URL
    answers 404. Kept as is (not hashed) so the roster page can show the URL again: it opens
    only the member's own shifts, which anyone who can read this table already sees."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
