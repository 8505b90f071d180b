"""Amazon Textract AnalyzeID: the fields of a passport or driving licence, normalised and hashed.

Values leave this module only inside `IdField` (in memory, for the cross-check against the MRZ);
what is recorded is the cross-check's agree/disagree per field, so the call log holds nothing personal.
"""

from __future__ import annotations

from kyc.adapters import aws
from kyc.adapters.base import IdAnalysisAdapter, IdAnalysisRequest, IdAnalysisResult, IdField
from kyc.adapters.fields import field_digest

# AnalyzeID field types -> our names.
_FIELDS = {
    "DOCUMENT_NUMBER": "document_number",
    "LAST_NAME": "surname",
    "FIRST_NAME": "given_names",
    "DATE_OF_BIRTH": "birth_date",
    "EXPIRATION_DATE": "expiry_date",
}


def _document_type(id_type: str) -> str:
    upper = id_type.upper()
    if "PASSPORT" in upper:
        return "passport"
    if "DRIVER" in upper:
        return "driving_licence"
    return "other"


class TextractAdapter(aws.AwsAdapter, IdAnalysisAdapter):
    code = "aws_textract"
    service = "textract"
    endpoint_setting = "AWS_TEXTRACT_ENDPOINT_URL"
    backs_up = "document"

    def analyze_id(self, request: IdAnalysisRequest) -> IdAnalysisResult:
        pages = [{"Bytes": request.front}]
        if request.back is not None:
            pages.append({"Bytes": request.back})
        client = self._client()
        try:
            response = client.analyze_id(DocumentPages=pages)
        except Exception as exc:
            raise aws.translate(exc) from None
        fields: dict[str, IdField] = {}
        document_type = "other"
        for document in response.get("IdentityDocuments") or []:
            for item in document.get("IdentityDocumentFields") or []:
                kind = str((item.get("Type") or {}).get("Text") or "")
                detection = item.get("ValueDetection") or {}
                normalised = (detection.get("NormalizedValue") or {}).get("Value")
                text = str(normalised or detection.get("Text") or "").strip()
                if kind == "ID_TYPE" and text:
                    document_type = _document_type(text)
                name = _FIELDS.get(kind)
                if name is None or not text or name in fields:
                    continue
                fields[name] = IdField(
                    digest=field_digest(name, text),
                    confidence=float(detection.get("Confidence", 0.0)),
                    value=text,
                )
        return IdAnalysisResult(fields=fields, document_type=document_type)


ADAPTER = TextractAdapter
