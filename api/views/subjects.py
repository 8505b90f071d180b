"""/v1/subjects/{subject}: subject access (export) and erasure, for the tenant's API key only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import request_principal
from api.views.verifications import ErrorSerializer
from verification.retention import RetentionPolicy
from verification.services.redaction import subject_erase
from verification.services.subjects import subject_export


class SubjectSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=128)

    class Meta:
        ref_name = "SubjectPath"


def _subject(subject: str) -> str:
    checked = SubjectSerializer(data={"subject": subject})
    checked.is_valid(raise_exception=True)
    return str(checked.validated_data["subject"])


class SubjectExportApi(APIView):
    class FilterSerializer(serializers.Serializer):
        include_documents = serializers.BooleanField(required=False, default=False)

        class Meta:
            ref_name = "SubjectExportFilter"

    @extend_schema(
        operation_id="subjects_export",
        parameters=[FilterSerializer, OpenApiParameter("subject", str, OpenApiParameter.PATH)],
        responses={
            200: inline_serializer(
                "SubjectExport",
                fields={
                    "object": serializers.CharField(),
                    "subject": serializers.CharField(),
                    "exported_at": serializers.DateTimeField(),
                    "verifications": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def get(self, request: Request, subject: str) -> Response:
        principal = request_principal(request)
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        body: dict[str, Any] = subject_export(
            tenant=principal.tenant,
            subject=_subject(subject),
            actor=principal.actor,
            include_documents=query.validated_data["include_documents"],
            livemode=principal.livemode,
        )
        return Response(body)


class SubjectEraseApi(APIView):
    @extend_schema(
        operation_id="subjects_erase",
        request=None,
        parameters=[OpenApiParameter("subject", str, OpenApiParameter.PATH)],
        responses={
            200: inline_serializer(
                "SubjectErasure",
                fields={
                    "object": serializers.CharField(),
                    "redacted": serializers.ListField(child=serializers.UUIDField()),
                    "fingerprints_kept": serializers.BooleanField(),
                },
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
    )
    def post(self, request: Request, subject: str) -> Response:
        principal = request_principal(request)
        redacted = subject_erase(
            tenant=principal.tenant,
            subject=_subject(subject),
            actor=principal.actor,
            livemode=principal.livemode,
        )
        return Response(
            {
                "object": "subject_erasure",
                "redacted": [str(v.id) for v in redacted],
                "fingerprints_kept": RetentionPolicy.for_tenant(
                    principal.tenant
                ).keep_fingerprints_on_erasure,
            }
        )
