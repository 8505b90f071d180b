"""/v1/webhook-endpoints and /v1/notices: thin views over services/webhooks.py (API keys only)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import request_principal
from api.views.verifications import ErrorSerializer
from verification.integration_selectors import (
    tenant_notice_list,
    webhook_delivery_get,
    webhook_delivery_list,
    webhook_endpoint_get,
    webhook_endpoint_list,
)
from verification.models import DeliveryStatus, EndpointStatus, WebhookEndpoint
from verification.services.events import EVENT_TYPES
from verification.services.webhooks import (
    ALL_EVENTS,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

_EVENT_CHOICES = [ALL_EVENTS, *EVENT_TYPES]


def _endpoint(request: Request, endpoint_id: str) -> WebhookEndpoint:
    principal = request_principal(request)
    return webhook_endpoint_get(tenant=principal.tenant, livemode=principal.livemode, endpoint_id=endpoint_id)


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    livemode = serializers.BooleanField()
    url = serializers.URLField()
    description = serializers.CharField()
    enabled_events = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    disabled_reason = serializers.CharField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "WebhookEndpoint"


class EndpointWithSecretSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret (whsec_...): shown only now.")

    class Meta:
        ref_name = "WebhookEndpointWithSecret"


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> dict[str, Any]:
    return {**EndpointOutputSerializer(endpoint).data, "secret": secret}


class EndpointPagination(CursorPagination):
    ordering = ("created_at", "id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100


class WebhookEndpointListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=2000)
        enabled_events = serializers.ListField(
            child=serializers.ChoiceField(choices=_EVENT_CHOICES), min_length=1
        )
        description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

        class Meta:
            ref_name = "WebhookEndpointCreateInput"

    @extend_schema(
        operation_id="webhook_endpoints_create",
        request=InputSerializer,
        responses={201: EndpointWithSecretSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = webhook_endpoint_create(
            tenant=principal.tenant,
            livemode=principal.livemode,
            actor=principal.actor,
            **payload.validated_data,
        )
        return Response(_with_secret(endpoint, secret), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="webhook_endpoints_list", responses={200: EndpointOutputSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        paginator = EndpointPagination()
        queryset = webhook_endpoint_list(tenant=principal.tenant, livemode=principal.livemode)
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        return paginator.get_paginated_response(EndpointOutputSerializer(page, many=True).data)


class WebhookEndpointDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        url = serializers.URLField(max_length=2000, required=False)
        enabled_events = serializers.ListField(
            child=serializers.ChoiceField(choices=_EVENT_CHOICES), min_length=1, required=False
        )
        description = serializers.CharField(max_length=200, required=False, allow_blank=True)
        status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)

        class Meta:
            ref_name = "WebhookEndpointUpdateInput"

    @extend_schema(
        operation_id="webhook_endpoints_retrieve",
        responses={200: EndpointOutputSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(EndpointOutputSerializer(_endpoint(request, endpoint_id)).data)

    @extend_schema(
        operation_id="webhook_endpoints_update",
        request=UpdateSerializer,
        responses={200: EndpointOutputSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = _endpoint(request, endpoint_id)
        payload = self.UpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        updated = webhook_endpoint_update(
            endpoint=endpoint, actor=request_principal(request).actor, **payload.validated_data
        )
        return Response(EndpointOutputSerializer(updated).data)

    @extend_schema(operation_id="webhook_endpoints_delete", responses={204: None, 404: ErrorSerializer})
    def delete(self, request: Request, endpoint_id: str) -> Response:
        webhook_endpoint_delete(
            endpoint=_endpoint(request, endpoint_id), actor=request_principal(request).actor
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointRotateSecretApi(APIView):
    class InputSerializer(serializers.Serializer):
        overlap_seconds = serializers.IntegerField(
            required=False,
            min_value=0,
            max_value=7 * 24 * 3600,
            help_text="How long the old secret also signs.",
        )

        class Meta:
            ref_name = "WebhookRotateSecretInput"

    @extend_schema(
        operation_id="webhook_endpoints_rotate_secret",
        request=InputSerializer,
        responses={200: EndpointWithSecretSerializer, 404: ErrorSerializer},
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = _endpoint(request, endpoint_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rotated, secret = webhook_endpoint_rotate_secret(
            endpoint=endpoint,
            actor=request_principal(request).actor,
            overlap_seconds=payload.validated_data.get("overlap_seconds"),
        )
        return Response(_with_secret(rotated, secret))


class AttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    error = serializers.CharField()
    succeeded = serializers.BooleanField()

    class Meta:
        ref_name = "WebhookAttempt"


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    succeeded_at = serializers.DateTimeField(allow_null=True)
    resent_from = serializers.UUIDField(source="resent_from_id", allow_null=True)
    created_at = serializers.DateTimeField()
    attempt_log = AttemptSerializer(many=True)

    class Meta:
        ref_name = "WebhookDelivery"


class DeliveryPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 100


class WebhookDeliveryListApi(APIView):
    @extend_schema(
        operation_id="webhook_endpoints_deliveries_list",
        responses={200: DeliveryOutputSerializer(many=True), 404: ErrorSerializer},
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        paginator = DeliveryPagination()
        queryset = webhook_delivery_list(endpoint=_endpoint(request, endpoint_id))
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        return paginator.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)


class WebhookDeliveryResendApi(APIView):
    @extend_schema(
        operation_id="webhook_endpoints_deliveries_resend",
        request=None,
        responses={202: DeliveryOutputSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request: Request, endpoint_id: str, delivery_id: str) -> Response:
        delivery = webhook_delivery_get(endpoint=_endpoint(request, endpoint_id), delivery_id=delivery_id)
        again = webhook_delivery_resend(delivery=delivery, actor=request_principal(request).actor)
        return Response(DeliveryOutputSerializer(again).data, status=status.HTTP_202_ACCEPTED)


class NoticeListApi(APIView):
    @extend_schema(
        operation_id="notices_list",
        responses={
            200: inline_serializer(
                "TenantNotice",
                fields={
                    "id": serializers.UUIDField(),
                    "kind": serializers.CharField(),
                    "message": serializers.CharField(),
                    "target_id": serializers.CharField(),
                    "created_at": serializers.DateTimeField(),
                },
                many=True,
            )
        },
    )
    def get(self, request: Request) -> Response:
        principal = request_principal(request)
        notices = tenant_notice_list(tenant=principal.tenant, livemode=principal.livemode)[:100]
        return Response(
            {
                "results": [
                    {
                        "id": str(n.id),
                        "kind": n.kind,
                        "message": n.message,
                        "target_id": n.target_id,
                        "created_at": n.created_at.isoformat(),
                    }
                    for n in notices
                ]
            }
        )
