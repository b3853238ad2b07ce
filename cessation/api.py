"""API of quit tracking: a patient's own quit plan, check-ins, cravings and progress; their
clinicians read check-ins and progress, and read and record CO readings, for their caseload.

Patient routes use the logged-in patient (there is no patient id to get wrong); clinician routes
take the patient's id, answer 404 for anybody outside the caseload, and audit every read.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsClinician, IsPatient
from cessation import progress, selectors, services
from cessation.models import (
    CheckIn,
    COReading,
    Craving,
    Product,
    Support,
    TimeToFirst,
    Trigger,
)
from core.api.errors import ErrorSerializer, error_responses
from core.api.pagination import StandardPagination

TAG = "quit tracking"
# What can be used on a day: every support but "nothing" (send an empty list instead).
SUPPORTS_USED = [(value, label) for value, label in Support.choices if value != Support.NONE]


def _number(top: int, *, bottom: int = 0, **kwargs) -> serializers.IntegerField:
    message = f"Enter a number from {bottom} to {top}."
    return serializers.IntegerField(
        min_value=bottom,
        max_value=top,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        **kwargs,
    )


# --- Quit plan -----------------------------------------------------------------------------------


class QuitPlanSupportSerializer(serializers.Serializer):
    support = serializers.ChoiceField(choices=Support.choices, source="kind")
    dose = serializers.CharField(max_length=60, allow_blank=True, default="")


class QuitDateChangeSerializer(serializers.Serializer):
    old_date = serializers.DateField(
        read_only=True, allow_null=True, help_text="Empty for the first quit date."
    )
    new_date = serializers.DateField(read_only=True)
    changed_at = serializers.DateTimeField(read_only=True)
    by_patient = serializers.SerializerMethodField(help_text="False: changed by their clinician.")

    def get_by_patient(self, change) -> bool:
        return change.changed_by_id == change.plan_id


class HeavinessSerializer(serializers.Serializer):
    score = serializers.IntegerField(help_text="Heaviness of Smoking Index, 0 to 6.")
    level = serializers.CharField(help_text="low (0-1), moderate (2-4) or high (5-6).")


class QuitPlanSerializer(serializers.Serializer):
    quit_date = serializers.DateField(
        help_text="Today or a day in the next 6 weeks. An unchanged date may be in the past; "
        "a changed date is kept in the history."
    )
    product = serializers.ChoiceField(choices=Product.choices)
    per_day = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal(120),
        help_text="Cigarettes or roll-ups a day, or grams of tobacco a day, before quitting.",
        error_messages={
            "invalid": "Enter a number between 1 and 120.",
            "min_value": "Enter a number between 1 and 120.",
            "max_value": "Enter a number between 1 and 120.",
        },
    )
    pack_price = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(500),
        help_text="Price of a pack or pouch in pounds, with a point: 14.50.",
        error_messages={
            "invalid": "Enter the price in pounds with a point, like 14.50.",
            "min_value": "Enter a price from 0 to 500 pounds.",
            "max_value": "Enter a price from 0 to 500 pounds.",
        },
    )
    pack_size = _number(500, bottom=1, help_text="Cigarettes in a pack, or grams in a pouch.")
    time_to_first = serializers.ChoiceField(
        choices=TimeToFirst.choices,
        allow_blank=True,
        default="",
        help_text="How soon after waking they smoked their first cigarette (minutes).",
    )
    supports = QuitPlanSupportSerializer(many=True, default=list)
    triggers = serializers.ListField(
        child=serializers.ChoiceField(choices=Trigger.choices), default=list
    )
    triggers_other = serializers.CharField(max_length=500, allow_blank=True, default="")
    reasons = serializers.CharField(
        max_length=services.MAX_REASONS_LENGTH,
        allow_blank=True,
        default="",
        help_text="Their reasons to quit, in their own words. Stored encrypted.",
    )
    quit_date_history = QuitDateChangeSerializer(
        source="date_changes.all", many=True, read_only=True
    )
    heaviness_of_smoking_index = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(HeavinessSerializer(allow_null=True))
    def get_heaviness_of_smoking_index(self, plan) -> dict | None:
        hsi = progress.heaviness_of_smoking_index(
            time_to_first=plan.time_to_first,
            cigarettes_per_day=selectors.baseline_of(plan).cigarettes_per_day,
        )
        return {"score": hsi[0], "level": hsi[1]} if hsi else None


class QuitPlanApi(APIView):
    """The logged-in patient's quit plan."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG],
        responses={
            200: QuitPlanSerializer,
            **error_responses(401, 403),
            404: OpenApiResponse(
                response=ErrorSerializer, description="No quit plan yet: set one with PUT."
            ),
        },
    )
    def get(self, request):
        plan = selectors.quit_plan_for(patient=request.user)
        if plan is None:
            raise NotFound("No quit plan yet: set one with PUT.")
        return Response(QuitPlanSerializer(plan).data)

    @extend_schema(
        tags=[TAG],
        request=QuitPlanSerializer,
        responses={
            200: OpenApiResponse(QuitPlanSerializer, description="The plan was changed."),
            201: OpenApiResponse(QuitPlanSerializer, description="The first plan was set."),
            **error_responses(400, 401, 403),
        },
        description=(
            "Set or change the whole quit plan. A new quit date must be today or within the next "
            "6 weeks; it is kept in `quit_date_history` and, for a patient on clozapine or "
            "olanzapine, raises a medication review to their clinician."
        ),
    )
    def put(self, request):
        serializer = QuitPlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = selectors.quit_plan_for(patient=request.user) is not None
        plan = services.quit_plan_save(
            patient=request.user, by=request.user, **serializer.validated_data
        )
        return Response(
            QuitPlanSerializer(plan).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


# --- Check-ins -----------------------------------------------------------------------------------


class CheckInSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    day = serializers.DateField(
        help_text="The patient's own date (their time zone): today or one of the last "
        f"{settings.CESSATION_BACKFILL_DAYS} days."
    )
    cigarettes = _number(200, help_text="Smoked since the last check-in. 0 is the goal.")
    craving = _number(10, help_text="Strongest craving, 0 (none) to 10.")
    mood = _number(10, help_text="0 (very low) to 10 (very good).")
    sleep = serializers.ChoiceField(choices=CheckIn.Sleep.choices)
    harm_thoughts = serializers.ChoiceField(
        choices=CheckIn.SafetyAnswer.choices,
        help_text="'Have you had thoughts of harming yourself?'",
    )
    supports_used = serializers.ListField(
        child=serializers.ChoiceField(choices=SUPPORTS_USED),
        default=list,
        help_text="Nicotine replacement, medication or vaping used since the last check-in.",
    )
    note = serializers.CharField(
        max_length=services.MAX_NOTE_LENGTH,
        allow_blank=True,
        default="",
        help_text="Anything else. Stored encrypted; read by their care team.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class CheckInResultSerializer(serializers.Serializer):
    check_in = CheckInSerializer()
    created = serializers.BooleanField(help_text="False: this day's check-in was updated.")
    show_crisis_support = serializers.BooleanField(
        help_text="True: show crisis support now, before anything else (their clinician has "
        "been alerted)."
    )
    crisis_support_url = serializers.URLField(
        allow_null=True, help_text="The page to show when `show_crisis_support` is true."
    )


class CheckInListCreateApi(APIView):
    """The logged-in patient's check-ins, newest day first; check in for a day."""

    permission_classes = [IsPatient]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG], responses={200: CheckInSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request):
        return _paginated(
            self, request, selectors.checkins_for(patient=request.user), CheckInSerializer
        )

    @extend_schema(
        tags=[TAG],
        request=CheckInSerializer,
        responses={
            201: OpenApiResponse(CheckInResultSerializer, description="Checked in for the day."),
            200: OpenApiResponse(
                CheckInResultSerializer, description="The day's check-in was updated."
            ),
            **error_responses(400, 401, 403),
        },
        description=(
            "Check in for `day`: today or one of the last "
            f"{settings.CESSATION_BACKFILL_DAYS} missed days, in the patient's own time zone. "
            "There is one check-in per day: a second POST for the same day updates it "
            "(answer 200, `created` false). 'Yes' to the self-harm question, or crisis words "
            "in the note, alert their clinician at once and answer `show_crisis_support` true "
            "with the page to show; a mood of 2 or less also alerts their clinician."
        ),
    )
    def post(self, request):
        serializer = CheckInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.checkin_submit(patient=request.user, **serializer.validated_data)
        body = {
            "check_in": result.checkin,
            "created": result.created,
            "show_crisis_support": result.crisis,
            "crisis_support_url": request.build_absolute_uri(reverse("safety:crisis_support"))
            if result.crisis
            else None,
        }
        return Response(
            CheckInResultSerializer(body).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --- Cravings ------------------------------------------------------------------------------------


class CravingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    at = serializers.DateTimeField(read_only=True, help_text="When it was logged.")
    intensity = _number(10, help_text="How strong, 0 to 10.")
    where = serializers.ChoiceField(choices=Craving.Where.choices, allow_blank=True, default="")
    with_whom = serializers.ChoiceField(
        choices=Craving.WithWhom.choices, allow_blank=True, default=""
    )
    doing = serializers.ChoiceField(choices=Craving.Doing.choices, allow_blank=True, default="")
    mood = _number(10, allow_null=True, default=None)
    smoked = serializers.BooleanField(default=False, help_text="Whether they smoked after all.")


class CravingListCreateApi(APIView):
    """The logged-in patient's logged cravings, newest first; log one now."""

    permission_classes = [IsPatient]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG], responses={200: CravingSerializer(many=True), **error_responses(401, 403)}
    )
    def get(self, request):
        cravings = Craving.objects.filter(patient=request.user).order_by("-at", "-id")
        return _paginated(self, request, cravings, CravingSerializer)

    @extend_schema(
        tags=[TAG],
        request=CravingSerializer,
        responses={201: CravingSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = CravingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        craving = services.craving_log(patient=request.user, **serializer.validated_data)
        return Response(CravingSerializer(craving).data, status=status.HTTP_201_CREATED)


# --- Progress ------------------------------------------------------------------------------------


class RussellSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="not_started, grace, on_track or off_track.")
    smoked_since_grace = serializers.IntegerField(
        help_text="Cigarettes since two weeks after the quit date."
    )
    allowance_left = serializers.IntegerField(help_text="Of the 5 the standard allows.")
    message = serializers.CharField()


class COReadSerializer(serializers.Serializer):
    taken_on = serializers.DateField()
    ppm = serializers.IntegerField()


class COWindowSerializer(serializers.Serializer):
    opens = serializers.DateField(help_text="25 days after the quit date.")
    closes = serializers.DateField(help_text="42 days after the quit date.")
    state = serializers.CharField(help_text="upcoming, open or closed.")
    reading = COReadSerializer(allow_null=True, help_text="The lowest reading in the window.")
    verified = serializers.BooleanField(help_text="A reading in the window under 10 ppm.")
    message = serializers.CharField()


class MilestoneSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    label = serializers.CharField()


class HealthStepSerializer(serializers.Serializer):
    after_minutes = serializers.IntegerField()
    when = serializers.CharField()
    text = serializers.CharField()
    reached = serializers.BooleanField()
    source = serializers.CharField()
    source_url = serializers.CharField(allow_blank=True)


class HealthApprovalSerializer(serializers.Serializer):
    approved_by = serializers.CharField(help_text="The clinician who approved the text.")
    approved_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    """Everything but `today`, `has_plan`, `checked_in_today` and the health timeline is null
    until there is a quit plan."""

    today = serializers.DateField(help_text="The patient's own date.")
    has_plan = serializers.BooleanField()
    checked_in_today = serializers.BooleanField()
    quit_date = serializers.DateField(allow_null=True)
    started = serializers.BooleanField(allow_null=True)
    days_quit = serializers.IntegerField(
        allow_null=True, help_text="Whole days since the quit date; a slip does not reset it."
    )
    days_until_quit = serializers.IntegerField(allow_null=True)
    cigarettes_smoked = serializers.IntegerField(allow_null=True)
    days_with_smoking = serializers.IntegerField(allow_null=True)
    cigarettes_not_smoked = serializers.IntegerField(allow_null=True)
    money_saved = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Pounds."
    )
    russell = RussellSerializer(allow_null=True, help_text="Russell Standard status.")
    co_window = COWindowSerializer(allow_null=True, help_text="The 4-week CO check.")
    next_milestone = MilestoneSerializer(allow_null=True)
    milestone_fraction = serializers.FloatField(
        allow_null=True, help_text="0 to 1: the way to the next milestone."
    )
    badges = serializers.ListField(child=serializers.CharField())
    heaviness_of_smoking_index = HeavinessSerializer(allow_null=True)
    health_timeline = HealthStepSerializer(many=True)
    health_timeline_approval = HealthApprovalSerializer(
        allow_null=True, help_text="Null until a clinician has approved the current text."
    )


def _progress_data(dashboard: selectors.Dashboard) -> dict:
    result = dashboard.progress
    data = {
        "today": dashboard.today,
        "has_plan": dashboard.plan is not None,
        "checked_in_today": dashboard.checked_in_today,
        "quit_date": dashboard.plan.quit_date if dashboard.plan else None,
        "badges": list(result.badges) if result else [],
        "heaviness_of_smoking_index": (
            {"score": dashboard.hsi[0], "level": dashboard.hsi[1]} if dashboard.hsi else None
        ),
        "health_timeline": [
            {
                "after_minutes": entry["step"].after_minutes,
                "when": entry["step"].when_label,
                "text": entry["step"].text,
                "reached": entry["step"].reached,
                "source": entry["source"],
                "source_url": entry["source_url"],
            }
            for entry in dashboard.timeline
        ],
        "health_timeline_approval": (
            {
                "approved_by": dashboard.timeline_approval["by"],
                "approved_at": dashboard.timeline_approval["on"],
            }
            if dashboard.timeline_approval
            else None
        ),
    }
    for name in (
        "started",
        "days_quit",
        "days_until_quit",
        "cigarettes_smoked",
        "days_with_smoking",
        "cigarettes_not_smoked",
        "money_saved",
        "russell",
        "co_window",
        "next_milestone",
        "milestone_fraction",
    ):
        data[name] = getattr(result, name) if result else None
    return data


class ProgressApi(APIView):
    """The logged-in patient's progress: days, money, cigarettes not smoked, the Russell Standard,
    the 4-week CO check, milestones, badges and the health timeline."""

    permission_classes = [IsPatient]

    @extend_schema(tags=[TAG], responses={200: ProgressSerializer, **error_responses(401, 403)})
    def get(self, request):
        dashboard = selectors.dashboard_for(patient=request.user)
        return Response(ProgressSerializer(_progress_data(dashboard)).data)


# --- Clinicians: their caseload --------------------------------------------------------------


class PatientCheckInListApi(APIView):
    """A patient's check-ins, newest day first, for their clinician. The read is audited."""

    permission_classes = [IsClinician]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG],
        responses={200: CheckInSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, patient_id: int):
        patient = selectors.patient_for_staff(
            user=request.user, patient_id=patient_id, request=request
        )
        return _paginated(self, request, selectors.checkins_for(patient=patient), CheckInSerializer)


class PatientProgressApi(APIView):
    """A patient's progress, for their clinician. The read is audited."""

    permission_classes = [IsClinician]

    @extend_schema(
        tags=[TAG], responses={200: ProgressSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request, patient_id: int):
        patient = selectors.patient_for_staff(
            user=request.user, patient_id=patient_id, request=request
        )
        return Response(
            ProgressSerializer(_progress_data(selectors.dashboard_for(patient=patient))).data
        )


class COReadingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    taken_on = serializers.DateField(help_text="Not in the future, not more than a year ago.")
    ppm = _number(100, help_text="Expired CO in ppm; under 10 supports abstinence.")
    self_reported = serializers.BooleanField(read_only=True)
    recorded_by_name = serializers.CharField(source="recorded_by.full_name", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class PatientCOReadingListCreateApi(APIView):
    """A patient's CO readings, newest first, for their clinician; record one taken in clinic."""

    permission_classes = [IsClinician]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG],
        responses={200: COReadingSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, patient_id: int):
        patient = selectors.patient_for_staff(
            user=request.user, patient_id=patient_id, request=request
        )
        readings = (
            COReading.objects.filter(patient=patient)
            .select_related("recorded_by")
            .order_by("-taken_on", "-id")
        )
        return _paginated(self, request, readings, COReadingSerializer)

    @extend_schema(
        tags=[TAG],
        request=COReadingSerializer,
        responses={201: COReadingSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, patient_id: int):
        patient = selectors.patient_for_staff(
            user=request.user, patient_id=patient_id, request=request
        )
        serializer = COReadingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reading = services.co_reading_record(
            patient=patient, by=request.user, **serializer.validated_data
        )
        return Response(COReadingSerializer(reading).data, status=status.HTTP_201_CREATED)


def _paginated(view: APIView, request, queryset, serializer_class) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
