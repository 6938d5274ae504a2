from django.urls import path

from tanggap.referrals import views

urlpatterns = [
    path("penghubung/", views.liaison_home, name="liaison_home"),
    path("penghubung/rujukan/<int:referral_id>/", views.liaison_referral, name="liaison_referral"),
    path("penghubung/<str:token>/", views.liaison_page, name="liaison"),
    path("w/<slug:slug>/bodies/", views.directory, name="bodies"),
    path("w/<slug:slug>/bodies/<int:body_id>/liaisons/add", views.body_liaison_add,
         name="body_liaison_add"),
    path("w/<slug:slug>/bodies/<int:body_id>/liaisons/<str:username>/remove",
         views.body_liaison_remove, name="body_liaison_remove"),
    path("w/<slug:slug>/referrals/", views.referrals_view, name="referrals"),
    path("w/<slug:slug>/incidents/", views.incidents_view, name="incidents"),
]
