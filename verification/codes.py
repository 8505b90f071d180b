"""The catalogue of every reason code a check can give, and what the decision policy does with it.

`action` is the default consequence of a failure with that code:
- `retry`: the user can fix it; the verification goes back to `requires_input` with `last_error`
  naming the capture `step` to redo (None: the step of the image the check looked at);
- `reject`: a hard failure (fraud signal or ineligibility); the verification is rejected;
- `review`: a person must look; the verification goes to `needs_review`.
`message` is plain language, safe to show to the end user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    RETRY = "retry"
    REJECT = "reject"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: str
    action: Action
    step: str | None
    message: str

    @property
    def retryable(self) -> bool:
        return self.action is Action.RETRY


_CODES = [
    ReasonCode("image_unreadable", Action.RETRY, None, "We could not open this photo. Please take it again."),
    ReasonCode(
        "image_too_small",
        Action.RETRY,
        None,
        "The photo is too small. Move closer so the document fills the frame.",
    ),
    ReasonCode(
        "image_too_blurry", Action.RETRY, None, "The photo is blurry. Hold still and let the camera focus."
    ),
    ReasonCode(
        "image_glare",
        Action.RETRY,
        None,
        "There is glare on the photo. Tilt the document away from the light.",
    ),
    ReasonCode("image_too_dark", Action.RETRY, None, "The photo is too dark. Move somewhere brighter."),
    ReasonCode(
        "face_not_found", Action.RETRY, "selfie", "We could not see your face. Face the camera in good light."
    ),
    ReasonCode(
        "multiple_faces",
        Action.RETRY,
        "selfie",
        "More than one face is in the selfie. Take it with only you in view.",
    ),
    ReasonCode(
        "document_face_not_found",
        Action.RETRY,
        "id_front",
        "We could not find the photo on your document. Photograph the side with your picture.",
    ),
    ReasonCode(
        "selfie_face_mismatch", Action.REJECT, None, "The selfie does not match the photo on the document."
    ),
    ReasonCode(
        "face_match_uncertain",
        Action.REVIEW,
        None,
        "We need a person to compare your selfie with your document.",
    ),
    ReasonCode(
        "document_unreadable",
        Action.RETRY,
        "id_front",
        "We could not read your document. Photograph it flat, whole and in focus.",
    ),
    ReasonCode(
        "document_invalid_mrz", Action.REJECT, None, "The machine-readable zone of the document is not valid."
    ),
    ReasonCode("document_number_invalid", Action.REJECT, None, "The document number is not valid."),
    ReasonCode(
        "document_expired", Action.RETRY, "id_front", "This document has expired. Use a valid document."
    ),
    ReasonCode(
        "document_type_not_allowed",
        Action.RETRY,
        "id_front",
        "This type of document is not accepted here. Use another identity document.",
    ),
    ReasonCode("under_minimum_age", Action.REJECT, None, "You do not meet the minimum age for this service."),
    ReasonCode(
        "duplicate_identity", Action.REVIEW, None, "This document is already linked to another account."
    ),
    ReasonCode(
        "too_many_attempts",
        Action.REJECT,
        None,
        "Too many attempts. Please contact the service you are joining.",
    ),
    ReasonCode(
        "check_unavailable", Action.REVIEW, None, "We need a person to finish checking your documents."
    ),
]

CATALOGUE: dict[str, ReasonCode] = {entry.code: entry for entry in _CODES}


def lookup(code: str) -> ReasonCode:
    """Unknown codes (a new adapter's) default to review: never auto-decide on something unknown."""
    return CATALOGUE.get(code) or ReasonCode(code, Action.REVIEW, None, "We need a person to check this.")


# --- Third-party adapters and phone verification (kyc/adapters/, verification/services/phone.py) --
_PROVIDER_CODES = [
    ReasonCode(
        "provider_unavailable",
        Action.REVIEW,
        None,
        "We need a person to finish checking your documents.",
    ),
    ReasonCode(
        "provider_document_mismatch",
        Action.REVIEW,
        None,
        "We need a person to check the details on your document.",
    ),
    ReasonCode(
        "provider_document_unreadable",
        Action.REVIEW,
        None,
        "We need a person to check the details on your document.",
    ),
    ReasonCode(
        "provider_document_no_mrz",
        Action.REVIEW,
        None,
        "We need a person to check the details on your document.",
    ),
    ReasonCode(
        "liveness_not_completed",
        Action.RETRY,
        "selfie",
        "Please complete the live selfie check.",
    ),
    ReasonCode(
        "liveness_session_expired",
        Action.RETRY,
        "selfie",
        "The live selfie check timed out. Please do it again.",
    ),
    ReasonCode(
        "liveness_failed",
        Action.REVIEW,
        None,
        "We need a person to look at your live selfie check.",
    ),
    # The live face is not the document's portrait: someone else did the liveness check.
    ReasonCode(
        "liveness_face_mismatch",
        Action.REJECT,
        None,
        "The live selfie does not match the photo on the document.",
    ),
    ReasonCode(
        "liveness_face_uncertain",
        Action.REVIEW,
        None,
        "We need a person to look at your live selfie check.",
    ),
    ReasonCode(
        "liveness_reference_missing",
        Action.REVIEW,
        None,
        "We need a person to look at your live selfie check.",
    ),
    ReasonCode(
        "provider_document_no_identity",
        Action.REVIEW,
        None,
        "We need a person to check the details on your document.",
    ),
    ReasonCode(
        "phone_challenge_expired",
        Action.REJECT,
        None,
        "The phone verification expired before a code was entered.",
    ),
]
CATALOGUE.update({entry.code: entry for entry in _PROVIDER_CODES})

# --- Community affiliation (issue #8) --------------------------------------------------------------
_AFFILIATION_CODES = [
    ReasonCode(
        "attestation_unreadable",
        Action.RETRY,
        None,
        "We could not read your membership attestation. Paste it again or photograph the QR code flat.",
    ),
    ReasonCode(
        "attestation_invalid_signature",
        Action.REJECT,
        None,
        "This membership attestation is not signed by an organisation we know.",
    ),
    ReasonCode(
        "attestation_expired",
        Action.RETRY,
        None,
        "This membership attestation has expired. Ask your organisation for a new one.",
    ),
    ReasonCode(
        "attestation_revoked", Action.REJECT, None, "Your organisation has withdrawn this attestation."
    ),
    ReasonCode(
        "organization_not_authorized",
        Action.REJECT,
        None,
        "This organisation may not confirm membership of this community.",
    ),
    ReasonCode(
        "attestation_name_mismatch",
        Action.REVIEW,
        None,
        "We need a person to compare the name on your attestation with your identity document.",
    ),
    ReasonCode(
        "attestation_reused",
        Action.REVIEW,
        None,
        "This attestation is already linked to another account.",
    ),
    ReasonCode(
        "affiliation_denied", Action.REJECT, None, "Your organisation did not confirm your membership."
    ),
    ReasonCode(
        "confirmation_no_answer",
        Action.REVIEW,
        None,
        "Your organisation has not answered yet; a person will finish checking your membership.",
    ),
]
CATALOGUE.update({entry.code: entry for entry in _AFFILIATION_CODES})
