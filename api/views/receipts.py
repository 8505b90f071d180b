"""GET /v1/verifications/{id}/receipt and the public keys at /.well-known/jwks.json."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import Principal
from api.views.verifications import ErrorSerializer
from verification.integration_selectors import receipt_get
from verification.receipts import jwks
from verification.selectors import verification_get


class VerificationReceiptApi(APIView):
    @extend_schema(
        operation_id="verifications_receipt",
        responses={
            200: inline_serializer(
                "VerificationReceipt",
                fields={
                    "verification_id": serializers.UUIDField(),
                    "kid": serializers.CharField(),
                    "issued_at": serializers.DateTimeField(),
                    "receipt": serializers.CharField(
                        help_text="Compact JWS (Ed25519); keys at /.well-known/jwks.json"
                    ),
                },
            ),
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request, verification_id: str) -> Response:
        principal = request.auth
        assert isinstance(principal, Principal)
        verification = verification_get(
            tenant=principal.tenant, verification_id=verification_id, livemode=principal.livemode
        )
        receipt = receipt_get(verification=verification)
        return Response(
            {
                "verification_id": str(verification.id),
                "kid": receipt.kid,
                "issued_at": receipt.issued_at.isoformat(),
                "receipt": receipt.jws,
            }
        )


def jwks_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
