from django.urls import path

from onboarding.views import journey, privacy, staff

app_name = "onboarding"

urlpatterns = [
    # The patient's journey
    path("welcome/", journey.start_view, name="start"),
    path("welcome/hello/", journey.welcome_view, name="welcome"),
    path("welcome/your-data/", journey.privacy_step_view, name="privacy_step"),
    path("welcome/agreement/", journey.consent_view, name="consent"),
    path("welcome/about-you/", journey.about_you_view, name="about_you"),
    path("welcome/safety-plan/", journey.safety_plan_view, name="safety_plan"),
    path("welcome/quit-plan/", journey.quit_plan_view, name="quit_plan"),
    # Before the tour's stops: "welcome/tour/later/" is the tour's "Do this later", not a stop.
    path("welcome/<slug:step>/later/", journey.skip_view, name="skip"),
    path("welcome/tour/", journey.tour_view, name="tour"),
    path("welcome/tour/watch/", journey.tour_watch_view, name="tour_watch"),
    path("welcome/tour/<slug:stop>/", journey.tour_stop_view, name="tour_stop"),
    path("welcome/tour/<slug:stop>/try/", journey.tour_try_view, name="tour_try"),
    path("welcome/groups/", journey.groups_view, name="groups"),
    path("welcome/groups/name/", journey.groups_name_view, name="groups_name"),
    path("welcome/groups/join/", journey.groups_join_view, name="groups_join"),
    # Privacy, texts and consents
    path("privacy/", privacy.privacy_view, name="privacy"),
    path("privacy/full/", privacy.privacy_full_view, name="privacy_full"),
    path(
        "privacy/texts/<slug:key>/v<id:version>/",
        privacy.content_version_view,
        name="content_version",
    ),
    path("account/consents/", privacy.consents_view, name="consents"),
    path(
        "account/consents/<slug:kind>/withdraw/",
        privacy.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("account/consents/<slug:kind>/agree/", privacy.consent_again_view, name="consent_again"),
    # The care team
    path("patients/<id:patient_id>/onboarding/", staff.overview_view, name="staff_overview"),
    path(
        "patients/<id:patient_id>/onboarding/reminder/",
        staff.reminder_view,
        name="staff_reminder",
    ),
    path(
        "patients/<id:patient_id>/onboarding/assist/",
        staff.assist_start_view,
        name="assist_start",
    ),
    path(
        "patients/<id:patient_id>/onboarding/assist/end/",
        staff.assist_end_view,
        name="assist_end",
    ),
    path(
        "patients/<id:patient_id>/onboarding/assist/<slug:step>/",
        staff.assist_step_view,
        name="assist_step",
    ),
]
