"""What the portal knows beyond the case itself: how the citizen asked to be treated, where the
problem is, and how to reach them; plus the per-address submission counters of the rate limit.

Rows here are written only by portal.actions. Nothing in this module is ever rendered on a
public page; portal.queries builds the public view of a case from the few fields it may show.
"""

from __future__ import annotations

from django.db import models


class Submission(models.Model):
    """One form submission, beside the inbound message it became."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="portal_submissions"
    )
    message = models.OneToOneField(
        "cases.Message", on_delete=models.CASCADE, related_name="portal_submission"
    )
    # The nonce of the rendered form's token: one form, one report (NULL before this rule).
    form_nonce = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The desk sees these flags; an anonymous submission keeps no name or contact anywhere.
    anonymous = models.BooleanField(default=False)
    # Confidential: the citizen's text never appears on the public status page.
    confidential = models.BooleanField(default=False)
    # Normalised phone (+62…) or lower-cased email, for the desk to call back; empty if none.
    reporter_contact = models.CharField(max_length=200, blank=True, default="")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()


class RateLimitBucket(models.Model):
    """Submissions counted per client address in a fixed window that starts at its first hit.

    A table rather than Django's cache: the embedded default runs several processes without
    Redis, and a per-process cache would multiply the limit by the number of processes.
    """

    # An HMAC of the address (an IPv6 /64), so the table never holds a citizen's IP.
    key = models.CharField(max_length=64, unique=True)
    window_started_at = models.DateTimeField(db_index=True)
    hits = models.PositiveIntegerField()
