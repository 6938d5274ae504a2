"""Service-level time limits of a workspace and what became of them.

A policy says how long the desk may take to give the first answer, to answer again after the
citizen wrote again, and to resolve a case, in calendar hours (a 24-hour desk) or in working
hours of the workspace's calendar (an SKPD's desk). A case's clocks (CaseClock) are computed from
its history by pure functions (tanggap.sla.clocks) and kept here so the periodic check and the
inbox find the cases due soon by an index. Every breach is recorded once (Breach): the reports
count this table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Hours(models.TextChoices):
    CALENDAR = "calendar", _("Calendar hours (24/7)")
    WORKING = "working", _("Working hours")


class SlaPolicy(models.Model):
    """Time limits in minutes (None: that clock is not kept). `kind` and `topic` narrow the
    policy to those cases; the most specific policy of a case applies (kind and topic, then
    topic, then kind, then the workspace's default)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, blank=True, default="")
    topic = models.CharField(max_length=40, blank=True, default="")
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    hours = models.CharField(max_length=10, choices=Hours.choices, default=Hours.CALENDAR)
    working_start = models.TimeField(null=True, blank=True)
    working_end = models.TimeField(null=True, blank=True)
    # A pending clock is "about to breach" when this share of its time is used.
    warn_percent = models.PositiveSmallIntegerField(default=80)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "kind", "topic"],
                                               name="sla_policy_scope_once")]


class Clock(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class CaseClock(models.Model):
    """The clocks of one open case as last computed. `computed_for` is the case's `updated_at`
    (and `calendar_key` the workspace calendar's fingerprint) at that time: when either moved,
    the row is stale and is computed again (by the periodic check; a page computes it itself)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    computed_for = models.DateTimeField()
    calendar_key = models.CharField(max_length=64, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    # The earliest due time of a clock still running, and when it enters its warning.
    next_due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["workspace", "warn_at"], name="sla_clock_warn_idx")]


class Breach(models.Model):
    """A clock that ran out: once per clock of a case (`started_at` tells a next-response clock
    from the one before it). `holder` held the case then; `escalated_to` names who was told."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    clock = models.CharField(max_length=20, choices=Clock.choices)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    escalated_to = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "clock", "started_at"],
                                               name="sla_breach_once")]
        indexes = [models.Index(fields=["workspace", "due_at"], name="sla_breach_ws_idx")]


class BreachWarning(models.Model):
    """A clock entered its warning (the holder was told once)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    clock = models.CharField(max_length=20, choices=Clock.choices)
    started_at = models.DateTimeField()
    warned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "clock", "started_at"],
                                               name="sla_warning_once")]
