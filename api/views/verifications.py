"""/v1/verifications: thin views over the verification services and selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import Principal, request_principal
from api.idempotency import idempotency_link
from api.uploads import TOO_LARGE_FLAG
from verification.errors import InvalidInput, NotFound, UploadTooLarge
from verification.models import DocumentKind, PhoneChallenge, Status, Verification, VerificationType
from verification.selectors import (
    VerificationFilters,
    verification_get,
    verification_list,
    verification_verified_outputs,
)
from verification.services.documents import document_upload
from verification.services.phone import phone_status, phone_verification_create
from verification.services.redaction import verification_redact
from verification.services.verifications import verification_cancel, verification_create, verification_submit
from verification.test_mode import TEST_OUTCOMES


def capture_url(request: Request, client_secret: str) -> str:
    return request.build_absolute_uri(f"/v/{client_secret}")


class ErrorSerializer(serializers.Serializer):
    error = inline_serializer(
        "ErrorBody",
        fields={
            "code": serializers.CharField(),
            "message": serializers.CharField(),
            "details": serializers.DictField(),
        },
    )


class LastErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    retryable = serializers.BooleanField(required=False)
    step = serializers.CharField(allow_null=True, required=False)


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["pass", "fail", "inconclusive"])
    reasons = serializers.ListField(child=serializers.CharField())


class FileSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class VerifiedOutputsSerializer(serializers.Serializer):
    given_names = serializers.CharField(allow_null=True)
    surname = serializers.CharField(allow_null=True)
    birth_date = serializers.DateField(allow_null=True)
    document_type = serializers.CharField(allow_null=True)
    issuing_state = serializers.CharField(allow_null=True)
    expiry_date = serializers.DateField(allow_null=True)
    document_number_last4 = serializers.CharField(allow_null=True)


class PhoneChallengeSerializer(serializers.Serializer):
    delivery = serializers.ChoiceField(choices=["pending", "sent", "failed"])
    code_expires_at = serializers.DateTimeField()
    resend_available_at = serializers.DateTimeField()
    attempts_remaining = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)


class VerificationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    livemode = serializers.BooleanField()
    subject = serializers.CharField()
    type = serializers.ChoiceField(choices=VerificationType.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    last_error = LastErrorSerializer(allow_null=True)
    checks = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    verified_outputs = serializers.SerializerMethodField()
    derived = serializers.DictField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    documents_expire_at = serializers.DateTimeField()
    documents_deleted_at = serializers.DateTimeField(allow_null=True)
    redacted_at = serializers.DateTimeField(allow_null=True)
    phone = serializers.SerializerMethodField()

    @extend_schema_field(PhoneChallengeSerializer(allow_null=True))
    def get_phone(self, obj: Verification) -> dict[str, Any] | None:
        """The code's delivery and timing for a phone verification (never the number or the code)."""
        if obj.type != VerificationType.PHONE:
            return None
        challenge = PhoneChallenge.objects.filter(verification=obj).first()
        return None if challenge is None else dict(PhoneChallengeSerializer(phone_status(challenge)).data)

    @extend_schema_field(CheckSerializer(many=True))
    def get_checks(self, obj: Verification) -> list[dict[str, Any]]:
        # Scores stay with reviewers: exposing them would help an attacker tune a forgery.
        return [{key: check[key] for key in ("name", "outcome", "reasons")} for check in obj.checks]

    @extend_schema_field(FileSerializer(many=True))
    def get_files(self, obj: Verification) -> list[dict[str, Any]]:
        return list(FileSerializer(sorted(obj.documents.all(), key=lambda d: d.kind), many=True).data)

    @extend_schema_field(VerifiedOutputsSerializer(allow_null=True))
    def get_verified_outputs(self, obj: Verification) -> dict[str, Any] | None:
        principal = self.context.get("principal")
        if principal is None or principal.is_client:
            return None  # personal data only to the tenant's server, never to the capture app
        return verification_verified_outputs(verification=obj)


class VerificationCreatedSerializer(VerificationOutputSerializer):
    client_secret = serializers.CharField(help_text="For the capture app; shown once, expires in an hour.")
    capture_url = serializers.URLField(help_text="The hosted capture page: send the user here instead.")


def verification_output(verification: Verification, principal: Principal, **extra: Any) -> dict[str, Any]:
    data = dict(VerificationOutputSerializer(verification, context={"principal": principal}).data)
    data.update(extra)
    return data


def verification_for(principal: Principal, verification_id: str) -> Verification:
    if principal.is_client and str(principal.verification_id) != str(verification_id):
        # A client secret for another verification learns nothing, as for another tenant's id.
        raise NotFound("No such verification.", code="verification_not_found")
    return verification_get(
        tenant=principal.tenant, verification_id=verification_id, livemode=principal.livemode
    )


class VerificationPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100


class VerificationListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        subject = serializers.CharField(max_length=128)
        type = serializers.ChoiceField(choices=VerificationType.choices)
        # Only for "type": "phone": the number to send the code to (any format; stored only hashed).
        phone_number = serializers.CharField(max_length=32, required=False, write_only=True)
        return_url = serializers.URLField(
            max_length=2000, required=False, help_text="Where the hosted capture page sends the user back."
        )
        test_outcome = serializers.ChoiceField(
            choices=TEST_OUTCOMES, required=False, help_text="Test-mode keys only: force the decision."
        )

        class Meta:
            ref_name = "VerificationCreateInput"

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Status.choices, required=False)
        type = serializers.ChoiceField(choices=VerificationType.choices, required=False)
        subject = serializers.CharField(max_length=128, required=False)
        created_gte = serializers.DateTimeField(required=False)
        created_lt = serializers.DateTimeField(required=False)

        class Meta:
            ref_name = "VerificationFilter"

    @extend_schema(
        operation_id="verifications_create",
        request=InputSerializer,
        responses={
            201: VerificationCreatedSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data["type"] == VerificationType.PHONE:
            if not data.get("phone_number"):
                raise InvalidInput("A phone verification needs a phone_number.", code="invalid_phone_number")
            if not principal.livemode:
                # Test mode never reaches a paid provider, and sending a text is one.
                raise InvalidInput(
                    "Phone verifications are not available in test mode.", code="test_mode_only"
                )
            verification, secret = phone_verification_create(
                tenant=principal.tenant, subject=data["subject"], phone_number=data["phone_number"]
            )
        else:
            if "phone_number" in data:
                raise InvalidInput("phone_number is only for phone verifications.", code="validation_error")
            verification, secret = verification_create(
                tenant=principal.tenant,
                subject=data["subject"],
                type=data["type"],
                livemode=principal.livemode,
                return_url=data.get("return_url", ""),
                test_outcome=data.get("test_outcome", ""),
            )
        idempotency_link(request._request, verification.id)  # redacting it drops the kept answer
        return Response(
            verification_output(
                verification, principal, client_secret=secret, capture_url=capture_url(request, secret)
            ),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="verifications_list",
        parameters=[FilterSerializer, OpenApiParameter("cursor", str), OpenApiParameter("limit", int)],
        responses={200: VerificationOutputSerializer(many=True), 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = verification_list(
            tenant=principal.tenant,
            filters=VerificationFilters(**filters.validated_data),
            livemode=principal.livemode,
        )
        paginator = VerificationPagination()
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        return paginator.get_paginated_response([verification_output(v, principal) for v in page])


class VerificationDetailApi(APIView):
    client_allowed = True

    @extend_schema(
        operation_id="verifications_retrieve",
        responses={200: VerificationOutputSerializer, 401: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, verification_id: str) -> Response:
        verification = verification_for(request_principal(request), verification_id)
        return Response(verification_output(verification, request_principal(request)))


class VerificationFileApi(APIView):
    client_allowed = True

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=DocumentKind.choices)
        file = serializers.FileField(allow_empty_file=True)

        class Meta:
            ref_name = "VerificationFileInput"

    @extend_schema(
        operation_id="verifications_files_create",
        request={"multipart/form-data": InputSerializer},
        responses={
            201: FileSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        verification = verification_for(request_principal(request), verification_id)
        if verification.type == VerificationType.PHONE:
            raise InvalidInput("A phone verification takes no files.", code="not_a_document_verification")
        payload = self.InputSerializer(data=request.data)  # parsing the body sets the flag below
        if getattr(request._request, TOO_LARGE_FLAG, False):
            raise UploadTooLarge("The file is larger than the upload limit.")
        payload.is_valid(raise_exception=True)
        data = payload.validated_data["file"].read()
        document = document_upload(verification=verification, kind=payload.validated_data["kind"], data=data)
        return Response(FileSerializer(document).data, status=status.HTTP_201_CREATED)


class VerificationSubmitApi(APIView):
    client_allowed = True

    @extend_schema(
        operation_id="verifications_submit",
        request=None,
        responses={
            202: VerificationOutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_submit(
            verification=verification_for(principal, verification_id), actor=principal.actor
        )
        return Response(
            verification_output(verification, request_principal(request)), status=status.HTTP_202_ACCEPTED
        )


class VerificationCancelApi(APIView):
    @extend_schema(
        operation_id="verifications_cancel",
        request=None,
        responses={200: VerificationOutputSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_cancel(
            verification=verification_for(principal, verification_id), actor=principal.actor
        )
        return Response(verification_output(verification, request_principal(request)))


class VerificationRedactApi(APIView):
    """Erase one verification now (API key only): see verification/services/redaction.py."""

    @extend_schema(
        operation_id="verifications_redact",
        request=None,
        responses={200: VerificationOutputSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_redact(
            verification=verification_for(principal, verification_id), actor=principal.actor
        )
        return Response(verification_output(verification, principal))
