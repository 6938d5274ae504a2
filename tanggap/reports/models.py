"""What the reports know, derived from the audit trail: one fact row per case, daily roll-ups of
counts, one fact row per referral; and the reports room's own records: which cases the desk made
public, and the service requests that came in through Open311.

Facts and roll-ups are written only by reports.rollup (from the audit feed, tanggap.audit.feed);
they hold no personal data (no names, handles, texts or exact places), so retention's
anonymising of closed cases leaves them counting, and the transparency page and open data can be
built from them. A roll-up can be rebuilt from the audit trail at any time (`tanggap report
rebuild`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The dimensions every roll-up row is keyed by, in order. body_id 0: no referral; area "": no
# location. operator_id 0 rows count cases and messages; a row of an operator counts that
# operator's work only (claims, replies, first responses, resolved, closed), so the case-level
# counters are summed over operator 0 rows, and ALL_ROWS_COUNTERS over all rows.
DIMENSIONS = ("channel_id", "kind", "intent", "topic", "kasar", "body_id", "area")
COUNTERS = (
    "opened",           # cases opened
    "messages_in",      # citizen messages
    "thanks_in",        # citizen messages read as thanks (intent apresiasi)
    "kasar_in",         # citizen messages with abusive language
    "replies",          # the desk's replies (per operator on operator rows)
    "first_responses",  # cases that got their first reply that day (operator rows: theirs)
    "first_response_seconds",  # the waits of those first replies added up, for averages
    "answered",         # cases opened that day that have had a reply (on their opening day)
    "claims",           # claims and take-overs (operator rows)
    "resolved",         # cases moved to done (selesai)
    "closed",           # cases moved to closed (ditutup)
    "referred",         # cases referred to a body
    # Service-level clocks (the sla room's policies and breaches, read from the trail): a first
    # response or a resolution under a policy that keeps that clock is met on its day unless a
    # breach of it is recorded, which counts on the breach's day instead. Next responses are
    # only counted when breached.
    "sla_first_met", "sla_first_breached", "sla_resolution_met", "sla_resolution_breached",
    "sla_next_breached",
)
ALL_ROWS_COUNTERS = ("replies", "claims")
# What a breakdown by a dimension sums (case rows), and what each operator's line sums (their
# rows): also what the pair slices keep.
BREAKDOWN_COUNTERS = ("opened", "messages_in", "answered", "thanks_in")
OPERATOR_COUNTERS = ("claims", "replies", "first_responses", "first_response_seconds",
                     "resolved", "closed")
# The dimensions a slice may be of: the whole desk (""), one of DIMENSIONS, or one operator.
WHOLE, OPERATOR = "", "operator"
# Response and resolution times are kept as histograms (reports.durations): per metric.
FIRST_RESPONSE, RESOLUTION = "fr", "rs"


class Counts(models.Model):
    opened = models.IntegerField(default=0)
    messages_in = models.IntegerField(default=0)
    thanks_in = models.IntegerField(default=0)
    kasar_in = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)
    answered = models.IntegerField(default=0)
    claims = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    referred = models.IntegerField(default=0)
    sla_first_met = models.IntegerField(default=0)
    sla_first_breached = models.IntegerField(default=0)
    sla_resolution_met = models.IntegerField(default=0)
    sla_resolution_breached = models.IntegerField(default=0)
    sla_next_breached = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseFact(models.Model):
    """One case as the reports see it: its dimensions now, its times, and every count it adds to
    the roll-ups (`contrib`), so that when a dimension changes (a corrected topic, a referral)
    its counts move with it."""

    case_id = models.BigIntegerField(primary_key=True)
    workspace_id = models.BigIntegerField()
    opened_at = models.DateTimeField()
    opened_day = models.DateField()
    channel_id = models.BigIntegerField()
    platform = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    intent = models.CharField(max_length=20, blank=True)
    topic = models.CharField(max_length=40, blank=True)
    kasar = models.BooleanField(default=False)
    body_id = models.BigIntegerField(default=0)
    area = models.CharField(max_length=24, blank=True)
    status = models.CharField(max_length=20)
    first_response_at = models.DateTimeField(null=True)
    first_response_day = models.DateField(null=True)
    first_response_seconds = models.BigIntegerField(null=True)
    first_response_by = models.BigIntegerField(null=True)
    resolved_at = models.DateTimeField(null=True)
    resolved_day = models.DateField(null=True)
    resolution_seconds = models.BigIntegerField(null=True)
    resolved_by = models.BigIntegerField(null=True)
    # The counter the resolution added to: "resolved" (selesai) or "closed" (ditutup).
    resolved_as = models.CharField(max_length=10, blank=True)
    # The service-level outcome of the first-response and resolution clocks: "" (no policy kept
    # that clock, or it has not ended), "met" or "breached".
    sla_first = models.CharField(max_length=10, blank=True, default="")
    sla_resolution = models.CharField(max_length=10, blank=True, default="")
    updated_at = models.DateTimeField()
    # {"<day>|<operator id>": {"<counter>": n}}: what this case added to the roll-ups (COUNTERS,
    # and "fr#<bucket>"/"rs#<bucket>" for the histograms of its times).
    contrib = models.JSONField(default=dict)

    class Meta:
        indexes = [
            models.Index(fields=["workspace_id", "opened_day"], name="casefact_opened_idx"),
            # Covering: a report with two filters or more reads its times from these alone.
            models.Index(fields=["workspace_id", "first_response_day", *DIMENSIONS,
                                 "first_response_seconds"], name="casefact_fr_idx"),
            models.Index(fields=["workspace_id", "resolved_day", *DIMENSIONS,
                                 "resolution_seconds"], name="casefact_res_idx"),
        ]


class DailyRollup(Counts):
    """Counts of one day for one combination of dimensions (and one operator, or none). Read by
    the reports that filter on two dimensions or more (the others read RollupSlice)."""

    workspace_id = models.BigIntegerField()
    day = models.DateField()
    channel_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    intent = models.CharField(max_length=20)
    topic = models.CharField(max_length=40)
    kasar = models.BooleanField()
    body_id = models.BigIntegerField()
    area = models.CharField(max_length=24)
    operator_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace_id", "day", *DIMENSIONS, "operator_id"],
                name="rollup_key"),
        ]
        # A filtered report reads the rows of its filter's value only: the case rows for its
        # numbers, the operators' rows for their work.
        indexes = [
            *(models.Index(fields=["workspace_id", dimension, "day"],
                           condition=models.Q(operator_id=0),
                           name=f"rollup_{dimension.removesuffix('_id')}_idx")
              for dimension in DIMENSIONS),
            *(models.Index(fields=["workspace_id", dimension, "day"],
                           condition=~models.Q(operator_id=0),
                           name=f"rollup_op_{dimension.removesuffix('_id')}_idx")
              for dimension in DIMENSIONS),
        ]


class RollupSlice(Counts):
    """The counts of one day for one value of one dimension, summed over all the others:
    dimension WHOLE ("", value "") is the whole desk, OPERATOR one operator's own work, the
    others one of DIMENSIONS (values as text: "12", "aduan", "1" for kasar). Case-level counters
    and ALL_ROWS_COUNTERS, as a report sums them. A report with at most one filter reads a few
    hundred of these a year instead of every combination."""

    workspace_id = models.BigIntegerField()
    day = models.DateField()
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["workspace_id", "dimension", "value", "day"], name="rollup_slice_key")]


class PairSlice(models.Model):
    """The counts of one day for one value of one dimension by each value of another (case rows:
    BREAKDOWN_COUNTERS) or by each operator (`by` OPERATOR: OPERATOR_COUNTERS). Stored both ways
    round, so a report filtered on one value reads its breakdowns and its operators' lines from
    a few dozen rows a day."""

    workspace_id = models.BigIntegerField()
    day = models.DateField()
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=40)
    by = models.CharField(max_length=12)
    by_value = models.CharField(max_length=40)
    opened = models.IntegerField(default=0)
    messages_in = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    thanks_in = models.IntegerField(default=0)
    claims = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    first_response_seconds = models.BigIntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["workspace_id", "dimension", "value", "day", "by", "by_value"],
            name="pair_slice_key")]


class PendingAdditions(models.Model):
    """Additions to one roll-up table that a batch of the roll-up committed to, in the
    transaction that moved its cursor, and that a later transaction of their own applies and
    deletes (tanggap.reports.rollup: `settle`): so no transaction of the roll-up holds SQLite's
    write lock for more than a few hundred rows."""

    table = models.CharField(max_length=40)
    # The rows, as `_additions` takes them (key columns, then counters), in JSON.
    rows = models.TextField()


class DurationSlice(models.Model):
    """How many first responses (metric "fr") or resolutions ("rs") of one day, in one slice
    (as RollupSlice), took a time in one histogram bucket (reports.durations)."""

    workspace_id = models.BigIntegerField()
    day = models.DateField()
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=40)
    metric = models.CharField(max_length=2)
    bucket = models.SmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["workspace_id", "dimension", "value", "metric", "day", "bucket"],
            name="duration_slice_key")]
        # Every value of a dimension over a period (the open data's topics by month).
        indexes = [models.Index(fields=["workspace_id", "dimension", "metric", "day"],
                                name="duration_slice_day_idx")]


class ThanksFact(models.Model):
    """A citizen message the desk's triage read as thanks, for the monthly report's notable
    thanks (its words are read from the message itself when the report is made)."""

    message_id = models.BigIntegerField(primary_key=True)
    workspace_id = models.BigIntegerField()
    case_id = models.BigIntegerField()
    day = models.DateField()
    platform = models.CharField(max_length=20)
    confidence = models.FloatField(default=0)
    length = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace_id", "day"], name="thanksfact_day_idx")]


class SlaPolicyFact(models.Model):
    """A service-level policy in force, as the trail told it (sla.policy_set and
    sla.policy_removed): which cases it is for and which of their clocks it keeps."""

    policy_id = models.BigIntegerField(primary_key=True)
    workspace_id = models.BigIntegerField()
    kind = models.CharField(max_length=20, blank=True)
    topic = models.CharField(max_length=40, blank=True)
    first_response = models.BooleanField(default=False)
    resolution = models.BooleanField(default=False)


class ReferralFact(models.Model):
    """One referral of a case to a responsible body, as the audit trail told it (the referrals
    room's events: referral.created, referral.answered, referral.withdrawn)."""

    referral_id = models.BigIntegerField(primary_key=True)
    workspace_id = models.BigIntegerField()
    case_id = models.BigIntegerField()
    body_id = models.BigIntegerField()
    body_name = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    created_day = models.DateField()
    acknowledged_at = models.DateTimeField(null=True)
    closed_at = models.DateTimeField(null=True)
    follow_up_due_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["workspace_id", "created_day"], name="referralfact_idx")]


class PublicMark(models.Model):
    """The desk decided that this case may be shown in full on the transparency page and in
    Open311: the citizen's words, the desk's answers and the address given. Written only by
    reports.actions.set_case_public, audited."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, primary_key=True,
                                related_name="public_mark")
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    marked_at = models.DateTimeField()


class Open311Request(models.Model):
    """A service request posted through Open311 (reports.open311), beside the case it became.
    What the client sent about the citizen is kept for the desk only, like the portal's
    Submission: never in an Open311 answer or on a public page."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE,
                                related_name="open311_request")
    service_code = models.CharField(max_length=40)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
