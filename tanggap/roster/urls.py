from django.urls import path

from tanggap.roster import views

urlpatterns = [
    path("", views.roster_page, name="roster"),
    path("fairness/", views.fairness_page, name="roster_fairness"),
    path("shifts/add", views.shift_add, name="roster_shift_add"),
    path("shifts/retire", views.shift_retire, name="roster_shift_retire"),
    path("pattern/set", views.pattern_set, name="roster_pattern_set"),
    path("pattern/end", views.pattern_end, name="roster_pattern_end"),
    path("day", views.day_change, name="roster_day_change"),
    path("time-off/request", views.time_off_request, name="roster_time_off_request"),
    path("time-off/<int:request_id>/decide", views.time_off_decide, name="roster_time_off_decide"),
    path("time-off/<int:request_id>/cancel", views.time_off_cancel, name="roster_time_off_cancel"),
    path("swaps/request", views.swap_request, name="roster_swap_request"),
    path("swaps/<int:request_id>/answer", views.swap_answer, name="roster_swap_answer"),
    path("swaps/<int:request_id>/decide", views.swap_decide, name="roster_swap_decide"),
    path("swaps/<int:request_id>/cancel", views.swap_cancel, name="roster_swap_cancel"),
    path("settings", views.settings_save, name="roster_settings"),
    path("feed/reset", views.feed_reset, name="roster_feed_reset"),
    path("cases/<int:case_id>/hand-over", views.hand_over, name="roster_hand_over"),
]
