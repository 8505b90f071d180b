"""The contract every third-party adapter follows.

An adapter is one small module per provider (`kyc/adapters/<code>.py`) holding one `Adapter`
subclass. It:

- has a stable `code` (the registry key, the name tenants use in their policy, the metric label);
- declares the settings it needs (`required_settings`) and checks them in `check_configuration`,
  so a half-configured adapter stops the process at start with a message naming the setting;
- takes typed request dataclasses and returns typed result dataclasses: raw vendor JSON never
  leaves the adapter module;
- raises only `ProviderError` subclasses, each saying whether retrying can help (`permanent`);
- performs exactly one provider request per method call and never retries, sleeps or records:
  timeouts, retries, the circuit breaker, idempotency and the call log live in one place,
  `kyc/adapters/resilience.py`, which wraps every call.

Adapters hold no personal data beyond the call: no logging of requests or responses, and error
messages carry vendor error codes only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured


class ProviderError(Exception):
    """A provider call failed. `code` is the vendor's error code or a transport class name."""

    permanent: ClassVar[bool] = False

    def __init__(self, code: str, *, status: int | None = None) -> None:
        self.code = code
        self.status = status
        super().__init__(f"{type(self).__name__}: {code}")


class TransientProviderError(ProviderError):
    """Retrying may help: a 5xx, a timeout, a dropped connection."""


class ProviderTimeout(TransientProviderError):
    """No answer in time (connect or read timeout)."""


class ProviderThrottled(TransientProviderError):
    """The provider asked us to slow down (ThrottlingException, 429): retried with backoff."""


class PermanentProviderError(ProviderError):
    """The same request will fail again: invalid parameters, access denied, unsupported image."""

    permanent: ClassVar[bool] = True


class ProviderUnavailable(ProviderError):
    """Not called at all: the circuit is open, or the adapter is not enabled in this deployment."""


class Adapter(ABC):
    """Base of every adapter. Subclasses add the typed operations of their kind."""

    code: ClassVar[str]
    # Settings (names in django.conf.settings) that must be non-empty when the adapter is enabled.
    required_settings: ClassVar[tuple[str, ...]] = ()
    # Local check this adapter can stand in for when it is a tenant's "fallback" (None: it cannot).
    backs_up: ClassVar[str | None] = None

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    @classmethod
    def check_configuration(cls, settings: Any) -> None:
        missing = [name for name in cls.required_settings if not getattr(settings, name, None)]
        if missing:
            raise ImproperlyConfigured(
                f"Provider '{cls.code}' is enabled in TASDEEQ_PROVIDERS but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set."
            )


# --- Typed requests and results, by kind ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaceMatchRequest:
    """Compare the face in `source` (the selfie) with the largest face in `target` (the document)."""

    source: bytes = field(repr=False)
    target: bytes = field(repr=False)
    # Faces below this similarity (0-100) are not returned as matches by the provider.
    threshold: float = 0.0


@dataclass(frozen=True, slots=True)
class FaceMatchResult:
    similarity: float | None  # best match, 0-100; None when no face in the target matched at all
    source_face_confidence: float | None
    unmatched_faces: int

    def record(self) -> dict[str, Any]:
        return {
            "similarity": self.similarity,
            "source_face_confidence": self.source_face_confidence,
            "unmatched_faces": self.unmatched_faces,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> FaceMatchResult:
        return cls(data["similarity"], data["source_face_confidence"], int(data["unmatched_faces"]))


@dataclass(frozen=True, slots=True)
class DetectedFace:
    confidence: float  # 0-100
    sharpness: float | None
    brightness: float | None
    eyes_open: bool | None

    def record(self) -> dict[str, Any]:
        return {
            "confidence": self.confidence,
            "sharpness": self.sharpness,
            "brightness": self.brightness,
            "eyes_open": self.eyes_open,
        }


@dataclass(frozen=True, slots=True)
class FaceDetectRequest:
    image: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class FaceDetectResult:
    faces: tuple[DetectedFace, ...]

    def record(self) -> dict[str, Any]:
        return {"faces": [face.record() for face in self.faces]}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> FaceDetectResult:
        return cls(tuple(DetectedFace(**face) for face in data["faces"]))


@dataclass(frozen=True, slots=True)
class LivenessSessionRequest:
    # Sent as the provider's ClientRequestToken: a repeated create returns the same session.
    idempotency_token: str


@dataclass(frozen=True, slots=True)
class LivenessSession:
    session_id: str

    def record(self) -> dict[str, Any]:
        return {"session_id": self.session_id}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> LivenessSession:
        return cls(str(data["session_id"]))


class LivenessStatus:
    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class ReferenceMatch:
    """Is the face the provider saw live the face on the document? (verification/services/providers.py)"""

    UNCHECKED = ""
    MATCH = "match"
    MISMATCH = "mismatch"
    UNCERTAIN = "uncertain"
    # The provider sent no reference image, or no face could be found in it or on the document.
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class LivenessResult:
    session_id: str
    status: str  # one of LivenessStatus
    confidence: float | None  # 0-100, present once the session SUCCEEDED
    # The session's ReferenceImage (a frame of the live face): personal data, in memory only.
    reference_image: bytes | None = field(default=None, repr=False)
    # The reference image compared with the document portrait (ReferenceMatch); what is recorded.
    reference: str = ReferenceMatch.UNCHECKED

    def record(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "status": self.status,
            "confidence": self.confidence,
            "reference": self.reference,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> LivenessResult:
        return cls(
            str(data["session_id"]),
            str(data["status"]),
            data["confidence"],
            reference=str(data.get("reference") or ReferenceMatch.UNCHECKED),
        )


@dataclass(frozen=True, slots=True)
class IdAnalysisRequest:
    front: bytes = field(repr=False)
    back: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class IdField:
    """One normalised field read from the document. `value` is personal data: it lives only in
    memory; `digest` (a keyed hash of the normalised value) is compared in memory, never stored."""

    digest: str
    confidence: float
    value: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class IdAnalysisResult:
    """What the adapter read. Not recorded as such (digests of names and dates could be linked or
    guessed): the pipeline records only the `IdCrossCheck` it derives from it."""

    # Normalised names: document_number, surname, given_names, birth_date, expiry_date (ISO
    # dates), document_type ("passport" | "driving_licence" | "id_card" | "other").
    fields: Mapping[str, IdField]
    document_type: str


@dataclass(frozen=True, slots=True)
class IdCrossCheck:
    """The provider's reading compared field by field with the document's MRZ: per compared field,
    whether the two agree. Booleans only, so the call log can keep it without personal data."""

    document_type: str
    agreement: Mapping[str, bool]

    def record(self) -> dict[str, Any]:
        return {"document_type": self.document_type, "agreement": dict(self.agreement)}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> IdCrossCheck:
        return cls(
            document_type=str(data["document_type"]),
            agreement={str(name): bool(value) for name, value in dict(data["agreement"]).items()},
        )


@dataclass(frozen=True, slots=True)
class SmsRequest:
    phone_number: str = field(repr=False)  # E.164
    message: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SmsResult:
    message_id: str

    def record(self) -> dict[str, Any]:
        return {"message_id": self.message_id}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> SmsResult:
        return cls(str(data["message_id"]))


# --- Adapter kinds: each provider module subclasses one and implements its operations ------------


class FaceMatchAdapter(Adapter):
    @abstractmethod
    def compare_faces(self, request: FaceMatchRequest) -> FaceMatchResult: ...

    @abstractmethod
    def detect_faces(self, request: FaceDetectRequest) -> FaceDetectResult: ...


class LivenessAdapter(Adapter):
    @abstractmethod
    def create_session(self, request: LivenessSessionRequest) -> LivenessSession: ...

    @abstractmethod
    def session_result(self, session_id: str) -> LivenessResult: ...


class IdAnalysisAdapter(Adapter):
    @abstractmethod
    def analyze_id(self, request: IdAnalysisRequest) -> IdAnalysisResult: ...


class SmsAdapter(Adapter):
    @abstractmethod
    def send_sms(self, request: SmsRequest) -> SmsResult: ...
