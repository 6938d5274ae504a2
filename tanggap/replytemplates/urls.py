from django.urls import path

from tanggap.replytemplates import views

urlpatterns = [
    path("w/<slug:slug>/templates/", views.templates_page, name="reply_templates"),
]
