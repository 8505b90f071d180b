"""/review: the reviewer console (api/views/console.py)."""

from django.urls import path

from api.views import console

urlpatterns = [
    path("", console.queue_view, name="review-queue"),
    path("login", console.login_view, name="review-login"),
    path("logout", console.logout_view, name="review-logout"),
    path("enrol/<str:token>", console.enrol_view, name="review-enrol"),
    path("claim", console.claim_view, name="review-claim"),
    path("next", console.next_view, name="review-next"),
    path("health", console.health_view, name="review-health"),
    path("four-eyes", console.four_eyes_view, name="review-four-eyes"),
    path("cases/<str:case_id>", console.case_view, name="review-case"),
    path("cases/<str:case_id>/decide", console.decide_view, name="review-decide"),
    path("cases/<str:case_id>/renew", console.renew_view, name="review-renew"),
    path("cases/<str:case_id>/release", console.release_view, name="review-release"),
    path("cases/<str:case_id>/reassign", console.reassign_view, name="review-reassign"),
    path("images/<str:token>", console.image_view, name="review-image"),
]
