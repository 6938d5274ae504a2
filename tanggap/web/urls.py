from django.contrib.auth import views as auth_views
from django.urls import path

from tanggap.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("w/<slug:slug>/", views.inbox, name="inbox"),
    path("w/<slug:slug>/rows", views.inbox_rows, name="inbox_rows"),
    path("w/<slug:slug>/cases/<int:case_id>/", views.case_page, name="case"),
    path("w/<slug:slug>/cases/<int:case_id>/panel", views.case_panel, name="case_panel"),
]
