"""Phone codes and liveness sessions: thin views over verification/services/phone.py and liveness.py."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import request_principal
from api.views.verifications import (
    ErrorSerializer,
    VerificationOutputSerializer,
    verification_for,
    verification_output,
)
from kyc.adapters.base import ProviderError
from verification.services.liveness import liveness_session_create
from verification.services.phone import phone_code_check, phone_code_resend, raise_for


class ProviderUnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "provider_unavailable"
    default_detail = "The verification provider is unavailable. Try again shortly."


class PhoneCodeApi(APIView):
    """Submit the code the user received (client secret or API key)."""

    client_allowed = True

    class InputSerializer(serializers.Serializer):
        code = serializers.RegexField(r"^\s*[0-9]{4,10}\s*$", max_length=16)

        class Meta:
            ref_name = "PhoneCodeInput"

    @extend_schema(
        operation_id="verifications_phone_code",
        request=InputSerializer,
        responses={
            200: VerificationOutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            410: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_for(principal, verification_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        check = phone_code_check(
            verification=verification, code=payload.validated_data["code"], actor=principal.actor
        )
        raise_for(check)  # after the commit: a wrong guess stays counted
        return Response(verification_output(check.verification, principal))


class PhoneCodeResendApi(APIView):
    client_allowed = True

    @extend_schema(
        operation_id="verifications_phone_code_resend",
        request=None,
        responses={
            202: VerificationOutputSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            410: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_for(principal, verification_id)
        phone_code_resend(verification=verification, actor=principal.actor)
        verification.refresh_from_db()
        return Response(verification_output(verification, principal), status=status.HTTP_202_ACCEPTED)


class LivenessSessionApi(APIView):
    """Start a Face Liveness session for the capture app (when the tenant's policy uses liveness)."""

    client_allowed = True

    @extend_schema(
        operation_id="verifications_liveness_session",
        request=None,
        responses={
            201: inline_serializer(
                "LivenessSessionOutput",
                fields={
                    "session_id": serializers.CharField(),
                    "provider": serializers.CharField(),
                    "region": serializers.CharField(),
                },
            ),
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            503: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        verification = verification_for(request_principal(request), verification_id)
        try:
            session = liveness_session_create(verification=verification)
        except ProviderError:
            raise ProviderUnavailableError() from None
        return Response(
            {"session_id": session.session_id, "provider": session.provider, "region": settings.AWS_REGION},
            status=status.HTTP_201_CREATED,
        )
