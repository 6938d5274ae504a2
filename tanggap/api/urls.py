from django.urls import path, re_path

from tanggap.api import operations, views

app_name = "api"

urlpatterns = [
    path("health", views.health, name="health"),
    path("openapi.json", views.openapi, name="openapi"),
    path("inbound", views.inbound, name="inbound"),
    path("cases", views.case_list, name="cases"),
    path("cases/<str:case_id>", views.case_view, name="case"),
    path("cases/<str:case_id>/claim", views.claim, name="claim"),
    path("cases/<str:case_id>/release", views.release, name="release"),
    path("cases/<str:case_id>/takeover", views.take_over, name="takeover"),
    path("cases/<str:case_id>/replies", views.replies, name="replies"),
    path("cases/<str:case_id>/status", views.status, name="status"),
    path("cases/<str:case_id>/kind", views.kind, name="kind"),
    path("cases/<str:case_id>/notes", views.notes, name="notes"),
    path("cases/<str:case_id>/triage", views.triage, name="triage"),
    path("cases/<str:case_id>/referrals", views.referrals, name="referrals"),
    path("cases/<str:case_id>/referrals/close", views.referral_close, name="referral_close"),
    path("bodies", views.bodies, name="bodies"),
    path("incidents", views.incidents, name="incidents"),
    path("incidents/<str:incident_id>/replies", views.incident_replies, name="incident_replies"),
    path("incidents/<str:incident_id>/resolve", views.incident_resolve, name="incident_resolve"),
    path("cases/<str:case_id>/handover", views.hand_over, name="handover"),
    path("roster/now", views.roster_now, name="roster_now"),
    path("cases/<str:case_id>/templates", operations.case_templates, name="case_templates"),
    path("templates", operations.templates, name="templates"),
    path("approvals", operations.approvals, name="approvals"),
    path("approvals/<str:approval_id>/approve", operations.approval_approve,
         name="approval_approve"),
    path("approvals/<str:approval_id>/reject", operations.approval_reject,
         name="approval_reject"),
    path("templates/<str:template_id>", operations.template, name="template"),
    path("contacts/<str:contact_id>/link", operations.contact_link, name="contact_link"),
    path("contacts/<str:contact_id>/unlink", operations.contact_unlink, name="contact_unlink"),
    path("tone", views.tone, name="tone"),
    path("classify", views.classify, name="classify"),
    path("messages/<str:message_id>/hide", views.message_hide, name="message_hide"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
