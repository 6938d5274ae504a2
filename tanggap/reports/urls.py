"""The reports of a workspace, included at /w/<slug>/reports/."""

from django.urls import path

from tanggap.reports import views

urlpatterns = [
    path("", views.report_page, name="reports"),
    path("export.csv", views.export_report, {"fmt": "csv"}, name="reports_export_csv"),
    path("export.xlsx", views.export_report, {"fmt": "xlsx"}, name="reports_export_xlsx"),
    path("cases.csv", views.export_cases, {"fmt": "csv"}, name="reports_cases_csv"),
    path("cases.xlsx", views.export_cases, {"fmt": "xlsx"}, name="reports_cases_xlsx"),
    path("monthly.pdf", views.monthly_pdf, name="reports_monthly"),
    path("cases/<int:case_id>/public", views.set_public, name="reports_case_public"),
]
