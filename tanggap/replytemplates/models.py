"""Canned replies (templat) of a workspace: a name, a text with fields (`{nama}`, ...; see
cases.templating) and the topics and intents of the cases they suit, by which the composer
groups and suggests them. Written only by replytemplates.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReplyTemplate(models.Model):
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE,
                                  related_name="+")
    name = models.CharField(max_length=100)
    text = models.TextField()
    topics = models.JSONField(default=list, blank=True)
    intents = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"],
                                               name="reply_template_name_once")]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
