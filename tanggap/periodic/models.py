"""One row per registered periodic job: when it runs next, who holds it, and how it went.

The row is the lease that keeps a job to one runner at a time across every machine: a runner
takes it with a conditional UPDATE (`lease_until` empty or past, `next_run_at` reached), runs the
job with no transaction open, and gives it back. A runner that dies mid-run holds it only until
`lease_until`. Not tenant data and not a desk decision: no audit event.
"""

from __future__ import annotations

from django.db import models


class PeriodicJob(models.Model):
    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    # host:pid:nonce of the runner holding the lease; empty when free.
    holder = models.CharField(max_length=200, blank=True, default="")
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.CharField(max_length=500, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")
    # Failed runs in a row: the back-off grows with it, and it is shown by `periodic --status`.
    failures = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
