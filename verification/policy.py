"""The decision policy: from check results to a status, configurable per tenant.

Order matters: a hard failure rejects; otherwise a fixable input problem sends the user back (until
the attempts run out); otherwise anything inconclusive or flagged goes to a person; only a clean
sweep of the required checks verifies.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kyc.results import CheckResult, Outcome
from verification.codes import Action, ReasonCode, lookup
from verification.errors import InvalidInput
from verification.models import Status, Tenant

DOCUMENT_TYPES = frozenset({"passport", "id_card", "driving_licence"})


@dataclass(frozen=True, slots=True)
class Policy:
    max_input_attempts: int = 3
    min_age: int | None = None
    allowed_document_types: frozenset[str] = DOCUMENT_TYPES
    # Checks that must have run and passed; a missing one sends the case to review.
    required_checks: frozenset[str] = frozenset()
    face_match_accept: float | None = None
    face_match_reject: float | None = None
    # Third-party adapters that run for this tenant: provider code -> "required" | "advisory" |
    # "fallback" (verification/services/providers.py says what each mode does).
    providers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_tenant(cls, tenant: Tenant, *, default_attempts: int = 3) -> Policy:
        return cls.from_mapping(
            tenant.policy or {}, min_age=tenant.min_age, default_attempts=default_attempts
        )

    @classmethod
    def from_mapping(
        cls,
        raw: Mapping[str, Any],
        *,
        min_age: int | None = None,
        default_attempts: int = 3,
        enabled_providers: Collection[str] | None = None,
    ) -> Policy:
        """`enabled_providers` (when setting a policy: the deployment's TASDEEQ_PROVIDERS) refuses a
        policy naming an adapter this deployment does not run. Loading a stored policy passes None:
        an adapter switched off later sends its cases to review (`provider_not_enabled`) instead of
        breaking every verification of the tenant."""
        unknown = set(raw) - {
            "max_input_attempts",
            "allowed_document_types",
            "required_checks",
            "face_match_accept",
            "face_match_reject",
            "providers",
        }
        if unknown:
            raise InvalidInput("Unknown policy settings.", code="invalid_policy", fields=sorted(unknown))
        types = frozenset(raw.get("allowed_document_types", DOCUMENT_TYPES))
        if not types <= DOCUMENT_TYPES:
            raise InvalidInput("Unknown document type in policy.", code="invalid_policy")
        policy = cls(
            max_input_attempts=int(raw.get("max_input_attempts", default_attempts)),
            min_age=min_age,
            allowed_document_types=types,
            required_checks=frozenset(raw.get("required_checks", ())),
            face_match_accept=_optional_float(raw.get("face_match_accept")),
            face_match_reject=_optional_float(raw.get("face_match_reject")),
            providers=_providers(raw.get("providers", {}), enabled_providers),
        )
        if policy.max_input_attempts < 1:
            raise InvalidInput("max_input_attempts must be at least 1.", code="invalid_policy")
        return policy


PROVIDER_MODES = frozenset({"required", "advisory", "fallback"})
# Adapters a tenant may pick for document verifications (aws_sns sends phone codes, for every tenant).
DOCUMENT_PROVIDERS = frozenset({"aws_rekognition", "aws_liveness", "aws_textract"})
# A fallback stands in for a local check; liveness has no local counterpart.
FALLBACK_CAPABLE = frozenset({"aws_rekognition", "aws_textract"})


def _providers(raw: Any, enabled: Collection[str] | None) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise InvalidInput("providers must map a provider code to a mode.", code="invalid_policy")
    unknown = sorted(set(raw) - DOCUMENT_PROVIDERS)
    if unknown:
        raise InvalidInput("Unknown provider in policy.", code="invalid_policy", providers=unknown)
    disabled = sorted(set(raw) - set(enabled)) if enabled is not None else []
    if disabled:
        raise InvalidInput(
            "A provider in the policy is not enabled on this service.",
            code="invalid_policy",
            providers=disabled,
        )
    for code, mode in raw.items():
        if mode not in PROVIDER_MODES:
            raise InvalidInput(
                "A provider's mode is required, advisory or fallback.", code="invalid_policy", provider=code
            )
        if mode == "fallback" and code not in FALLBACK_CAPABLE:
            raise InvalidInput(
                "This provider has no local check to fall back from.", code="invalid_policy", provider=code
            )
    return dict(raw)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Decision:
    status: str
    last_error: dict[str, Any] | None = None


def _step_of(result: CheckResult, reason: ReasonCode) -> str | None:
    if reason.step is not None:
        return reason.step
    # Image-level checks are named after the capture they looked at: "quality_selfie" -> "selfie".
    for step in ("id_front", "id_back", "selfie"):
        if result.name.endswith(step):
            return step
    return None


def error_for(code: str, *, step: str | None = None) -> dict[str, Any]:
    reason = lookup(code)
    return {
        "code": code,
        "message": reason.message,
        "retryable": reason.retryable,
        "step": step or reason.step,
    }


def decide(results: Sequence[CheckResult], *, policy: Policy, submissions: int) -> Decision:
    failures = [
        (result, lookup(code))
        for result in results
        if result.outcome is Outcome.FAIL
        for code in result.reasons
    ]
    for result, reason in failures:
        if reason.action is Action.REJECT:
            return Decision(Status.REJECTED, error_for(reason.code, step=_step_of(result, reason)))
    for result, reason in failures:
        if reason.action is Action.RETRY:
            if submissions >= policy.max_input_attempts:
                return Decision(Status.REJECTED, error_for("too_many_attempts"))
            return Decision(Status.REQUIRES_INPUT, error_for(reason.code, step=_step_of(result, reason)))
    if any(reason.action is Action.REVIEW for _, reason in failures):
        return Decision(Status.NEEDS_REVIEW)
    if any(result.outcome is Outcome.INCONCLUSIVE for result in results):
        return Decision(Status.NEEDS_REVIEW)
    passed = {result.name for result in results if result.outcome is Outcome.PASS}
    if not policy.required_checks <= passed or not results:
        return Decision(Status.NEEDS_REVIEW)
    return Decision(Status.VERIFIED)
