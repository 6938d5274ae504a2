"""How long a workspace keeps citizens' personal data on closed cases (UU PDP 27/2022).

One row per workspace that chose its own period; a workspace without a row keeps the default,
TANGGAP_RETENTION_MONTHS. Written only by privacy.actions.
"""

from __future__ import annotations

from django.db import models


class RetentionPolicy(models.Model):
    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE,
                                     related_name="retention_policy")
    # Months after a case was closed (its last change) before its personal data is removed;
    # 0 keeps it until an erasure request.
    months = models.PositiveIntegerField()
    updated_at = models.DateTimeField()
