"""Output serializers of /v1/review, for the OpenAPI schema (the views build the same shapes).

Tenants that build their own console generate clients from the schema, so every 200 body is
described here; tests validate real responses against these components.
"""

from __future__ import annotations

from rest_framework import serializers

from api.views.verifications import LastErrorSerializer
from verification.models import DocumentKind, ReviewDecisionKind, ReviewerRole, ReviewState, Status


class ReviewerOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=ReviewerRole.choices)
    tenant = serializers.CharField(allow_null=True)


class ReviewLoginOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Bearer token (rvt_…) for the other /v1/review endpoints.")
    expires_at = serializers.DateTimeField()
    reviewer = ReviewerOutputSerializer()


class ReviewCaseSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    verification = serializers.UUIDField()
    tenant = serializers.CharField()
    state = serializers.ChoiceField(choices=ReviewState.choices)
    priority = serializers.IntegerField()
    reason_codes = serializers.ListField(child=serializers.CharField())
    queued_at = serializers.DateTimeField()
    claimed_by = serializers.CharField(allow_null=True, help_text="Username of the lease holder.")
    lease_expires_at = serializers.DateTimeField(allow_null=True)


class ReviewQueueOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    cases = ReviewCaseSummarySerializer(many=True)


class ReviewCheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["pass", "fail", "inconclusive"])
    reasons = serializers.ListField(child=serializers.CharField())
    scores = serializers.DictField(child=serializers.FloatField())
    duration_ms = serializers.FloatField(required=False)


class ReviewVerificationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    checks = ReviewCheckSerializer(many=True)
    last_error = LastErrorSerializer(allow_null=True)
    submissions = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)


class ReviewDocumentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    content_type = serializers.CharField()
    url = serializers.URLField(help_text="Signed for this reviewer; expires at url_expires_at.")
    url_expires_at = serializers.DateTimeField()


class ReviewVerifiedOutputsSerializer(serializers.Serializer):
    given_names = serializers.CharField(allow_null=True)
    surname = serializers.CharField(allow_null=True)
    birth_date = serializers.CharField(allow_null=True)
    document_type = serializers.CharField(allow_null=True)
    issuing_state = serializers.CharField(allow_null=True)
    expiry_date = serializers.CharField(allow_null=True)
    document_number_last4 = serializers.CharField(allow_null=True)


class ReviewEarlierAttemptSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Status.choices)
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


class ReviewDecisionRecordSerializer(serializers.Serializer):
    reviewer = serializers.CharField()
    decision = serializers.ChoiceField(choices=ReviewDecisionKind.choices)
    reason_code = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    final = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ReviewCaseDetailSerializer(ReviewCaseSummarySerializer):
    verification = ReviewVerificationSerializer()  # type: ignore[assignment]
    documents = ReviewDocumentSerializer(many=True)
    documents_purged = serializers.BooleanField()
    documents_deleted_at = serializers.DateTimeField(allow_null=True)
    verified_outputs = ReviewVerifiedOutputsSerializer(allow_null=True)
    earlier_attempts = ReviewEarlierAttemptSerializer(many=True)
    decisions = ReviewDecisionRecordSerializer(many=True)
    four_eyes_codes = serializers.ListField(child=serializers.CharField())


class ReviewLeaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lease_expires_at = serializers.DateTimeField()


class ReviewDecisionResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.ChoiceField(choices=ReviewState.choices)
    stage = serializers.ChoiceField(choices=["final", "awaiting_second", "escalated"])
    verification = serializers.UUIDField()
    verification_status = serializers.ChoiceField(choices=Status.choices)


class ReviewOldestSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    queued_at = serializers.DateTimeField()
    age_seconds = serializers.IntegerField()


class ReviewReviewerStatsSerializer(serializers.Serializer):
    reviewer = serializers.UUIDField()
    username = serializers.CharField()
    decisions = serializers.IntegerField()
    median_seconds_to_decision = serializers.FloatField()


class ReviewHealthSerializer(serializers.Serializer):
    livemode = serializers.BooleanField()
    by_state = serializers.DictField(child=serializers.IntegerField())
    waiting = serializers.IntegerField()
    held = serializers.IntegerField()
    waiting_by_age = serializers.DictField(child=serializers.IntegerField())
    oldest_waiting = ReviewOldestSerializer(allow_null=True)
    reviewers = ReviewReviewerStatsSerializer(many=True)
    median_seconds_queue_to_decision = serializers.FloatField(allow_null=True)
    window_days = serializers.IntegerField()


class ReviewReasonCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    decision = serializers.ChoiceField(choices=ReviewDecisionKind.choices)
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label


class ReviewReasonCodesSerializer(serializers.Serializer):
    reason_codes = ReviewReasonCodeSerializer(many=True)


class ReviewFourEyesRuleSerializer(serializers.Serializer):
    reason_code = serializers.CharField()
    tenant = serializers.CharField(allow_null=True)


class ReviewFourEyesRulesSerializer(serializers.Serializer):
    rules = ReviewFourEyesRuleSerializer(many=True)
