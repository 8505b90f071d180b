"""Community affiliation (issue #8): the member's two routes, and /v1/org/ for organisations."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import request_principal
from api.org_authentication import IsOrganization, OrganizationCredentialAuthentication, OrganizationPrincipal
from api.views.verifications import (
    ErrorSerializer,
    VerificationOutputSerializer,
    verification_for,
    verification_output,
)
from verification.models import ConfirmationRequest, ConfirmationState
from verification.services.affiliation import (
    attestation_submit_text,
    confirmation_answer,
    confirmation_member_ref,
    confirmation_request_create,
)
from verification.services.organizations import revocation_publish


class VerificationAttestationApi(APIView):
    """Route 1 as text: the token the organisation issued (a photo goes to /files, kind attestation_qr)."""

    client_allowed = True

    class InputSerializer(serializers.Serializer):
        # No max_length here: the service answers an over-long token with `attestation_unreadable`,
        # like any other token that cannot be one (Django's upload limit bounds the body).
        token = serializers.CharField(trim_whitespace=True)

        class Meta:
            ref_name = "AttestationInput"

    @extend_schema(
        operation_id="verifications_attestation_create",
        request=InputSerializer,
        responses={
            202: VerificationOutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_for(principal, verification_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        attestation_submit_text(verification=verification, token=payload.validated_data["token"])
        return Response(verification_output(verification, principal), status=status.HTTP_202_ACCEPTED)


class VerificationConfirmationRequestApi(APIView):
    """Route 2: ask the named organisation to confirm the member reference."""

    client_allowed = True

    class InputSerializer(serializers.Serializer):
        organization = serializers.SlugField(max_length=64)
        member_reference = serializers.CharField(max_length=128)
        community = serializers.CharField(max_length=100, required=False)

        class Meta:
            ref_name = "ConfirmationRequestInput"

    @extend_schema(
        operation_id="verifications_confirmation_request_create",
        request=InputSerializer,
        responses={
            202: VerificationOutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, verification_id: str) -> Response:
        principal = request_principal(request)
        verification = verification_for(principal, verification_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        confirmation_request_create(
            verification=verification,
            organization_slug=data["organization"],
            member_ref=data["member_reference"],
            community=data.get("community"),
            actor=principal.actor,
        )
        verification.refresh_from_db()
        return Response(verification_output(verification, principal), status=status.HTTP_202_ACCEPTED)


# --- /v1/org/ ----------------------------------------------------------------------------------------


class _OrgApi(APIView):
    authentication_classes = [OrganizationCredentialAuthentication]
    permission_classes = [IsOrganization]

    def org_principal(self, request: Request) -> OrganizationPrincipal:
        principal = request.auth
        assert isinstance(principal, OrganizationPrincipal)  # IsOrganization guarantees it
        return principal


class ConfirmationRequestOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    community = serializers.CharField()
    member_reference = serializers.CharField(allow_null=True)
    state = serializers.ChoiceField(choices=ConfirmationState.choices)
    deadline = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


def _request_out(request: ConfirmationRequest) -> dict[str, Any]:
    return dict(
        ConfirmationRequestOutputSerializer(
            {
                "id": request.id,
                "community": request.community,
                "member_reference": confirmation_member_ref(request=request),
                "state": request.state,
                "deadline": request.deadline,
                "created_at": request.created_at,
                "answered_at": request.answered_at,
            }
        ).data
    )


class OrgConfirmationRequestListApi(_OrgApi):
    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=ConfirmationState.choices, default=ConfirmationState.PENDING)
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)

        class Meta:
            ref_name = "ConfirmationRequestFilter"

    @extend_schema(
        operation_id="org_confirmation_requests_list",
        parameters=[OpenApiParameter("state", str), OpenApiParameter("limit", int)],
        responses={200: ConfirmationRequestOutputSerializer(many=True), 401: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        requests = ConfirmationRequest.objects.filter(
            organization=self.org_principal(request).organization, state=filters.validated_data["state"]
        ).order_by("created_at", "id")[: filters.validated_data["limit"]]
        return Response({"results": [_request_out(item) for item in requests]})


class OrgConfirmationAnswerApi(_OrgApi):
    class InputSerializer(serializers.Serializer):
        answer = serializers.ChoiceField(choices=[ConfirmationState.CONFIRMED, ConfirmationState.DENIED])

        class Meta:
            ref_name = "ConfirmationAnswerInput"

    @extend_schema(
        operation_id="org_confirmation_requests_answer",
        request=InputSerializer,
        responses={
            200: ConfirmationRequestOutputSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, request_id: str) -> Response:
        principal = self.org_principal(request)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        answered = confirmation_answer(
            organization=principal.organization,
            request_id=request_id,
            answer=payload.validated_data["answer"],
            actor=principal.actor,
        )
        return Response(_request_out(answered))


class OrgRevocationApi(_OrgApi):
    class InputSerializer(serializers.Serializer):
        jti = serializers.CharField(max_length=256)
        reason = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "RevocationInput"

    class OutputSerializer(serializers.Serializer):
        revoked_at = serializers.DateTimeField()
        created = serializers.BooleanField()
        flagged_verifications = serializers.IntegerField()

        class Meta:
            ref_name = "RevocationOutput"

    @extend_schema(
        operation_id="org_revocations_create",
        request=InputSerializer,
        responses={201: OutputSerializer, 200: OutputSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        principal = self.org_principal(request)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = revocation_publish(
            organization=principal.organization,
            jti=payload.validated_data["jti"],
            reason=payload.validated_data["reason"],
            actor=principal.actor,
        )
        body = self.OutputSerializer(
            {
                "revoked_at": outcome.revocation.revoked_at,
                "created": outcome.created,
                # A count, not ids: the organisation must not learn which tenant's users used it.
                "flagged_verifications": len(outcome.flagged),
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)
