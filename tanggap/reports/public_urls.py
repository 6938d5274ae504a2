"""The public transparency pages, included at /transparansi/."""

from django.urls import path

from tanggap.reports import public_views as views

urlpatterns = [
    path("<slug:slug>/", views.transparency_page, name="transparency"),
    path("<slug:slug>/data/stats.csv", views.open_data, {"dataset": "stats", "fmt": "csv"},
         name="open_data_stats_csv"),
    path("<slug:slug>/data/stats.json", views.open_data, {"dataset": "stats", "fmt": "json"},
         name="open_data_stats_json"),
    path("<slug:slug>/data/cases.csv", views.open_data, {"dataset": "cases", "fmt": "csv"},
         name="open_data_cases_csv"),
    path("<slug:slug>/data/cases.json", views.open_data, {"dataset": "cases", "fmt": "json"},
         name="open_data_cases_json"),
]
