"""`Tasdeeq(api_key, base_url)`: verifications, webhook endpoints, receipts and the JWKS."""

from __future__ import annotations

import builtins
import time
import uuid
from typing import Any

import requests

from tasdeeq_client.errors import RateLimited, TasdeeqError
from tasdeeq_client.models import File, Verification, WebhookDelivery, WebhookEndpoint

_RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})


class Tasdeeq:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_retry_wait: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.session = session or requests.Session()
        self.verifications = Verifications(self)
        self.webhook_endpoints = WebhookEndpoints(self)

    @property
    def livemode(self) -> bool:
        return not self.api_key.startswith("tdq_test_")

    def request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """One API call; POSTs carry an Idempotency-Key, so they are retried like GETs."""
        headers = {"Authorization": f"Bearer {token or self.api_key}", "Accept": "application/json"}
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    f"{self.base_url}{path}",
                    json=json,
                    data=data,
                    files=files,
                    headers=headers,
                    timeout=self.timeout,
                )
            except requests.ConnectionError:
                if attempt >= self.max_retries:
                    raise
                attempt += 1
                time.sleep(min(2**attempt * 0.25, self.max_retry_wait))
                continue
            if response.status_code < 400:
                return response.json() if response.content else None
            error = _error_of(response)
            retryable = response.status_code in _RETRY_STATUSES and (
                response.status_code != 409 or error.code == "idempotency_key_in_use"
            )
            if not retryable or attempt >= self.max_retries:
                raise error
            attempt += 1
            wait = error.retry_after if isinstance(error, RateLimited) else 2**attempt * 0.25
            time.sleep(min(wait, self.max_retry_wait))

    def jwks(self) -> dict[str, Any]:
        """The receipt signing keys; fetch once and keep them to verify receipts offline."""
        response = self.session.get(f"{self.base_url}/.well-known/jwks.json", timeout=self.timeout)
        response.raise_for_status()
        keys: dict[str, Any] = response.json()
        return keys


def _error_of(response: requests.Response) -> TasdeeqError:
    try:
        body = response.json().get("error") or {}
    except ValueError:
        body = {}
    code = str(body.get("code") or f"http_{response.status_code}")
    message = str(body.get("message") or response.reason)
    details = body.get("details") or {}
    if response.status_code == 429:
        retry_after = float(response.headers.get("Retry-After") or details.get("retry_after") or 1)
        return RateLimited(response.status_code, code, message, details, retry_after)
    return TasdeeqError(response.status_code, code, message, details)


class Verifications:
    def __init__(self, client: Tasdeeq) -> None:
        self._client = client

    def create(
        self,
        *,
        subject: str,
        type: str = "document",
        return_url: str | None = None,
        test_outcome: str | None = None,
        idempotency_key: str | None = None,
    ) -> Verification:
        body: dict[str, Any] = {"subject": subject, "type": type}
        if return_url:
            body["return_url"] = return_url
        if test_outcome:
            body["test_outcome"] = test_outcome
        data = self._client.request("POST", "/v1/verifications", json=body, idempotency_key=idempotency_key)
        return Verification.from_dict(data)

    def retrieve(self, verification_id: str, *, client_secret: str | None = None) -> Verification:
        data = self._client.request("GET", f"/v1/verifications/{verification_id}", token=client_secret)
        return Verification.from_dict(data)

    def upload(
        self,
        verification_id: str,
        *,
        kind: str,
        content: bytes,
        filename: str = "photo.jpg",
        content_type: str = "image/jpeg",
        client_secret: str | None = None,
    ) -> File:
        data = self._client.request(
            "POST",
            f"/v1/verifications/{verification_id}/files",
            data={"kind": kind},
            files={"file": (filename, content, content_type)},
            token=client_secret,
        )
        return File.from_dict(data)

    def submit(self, verification_id: str, *, client_secret: str | None = None) -> Verification:
        data = self._client.request(
            "POST", f"/v1/verifications/{verification_id}/submit", token=client_secret
        )
        return Verification.from_dict(data)

    def cancel(self, verification_id: str) -> Verification:
        return Verification.from_dict(
            self._client.request("POST", f"/v1/verifications/{verification_id}/cancel")
        )

    def receipt(self, verification_id: str) -> str:
        """The compact JWS; check it with `receipt_verify(jws, client.jwks())`."""
        data = self._client.request("GET", f"/v1/verifications/{verification_id}/receipt")
        return str(data["receipt"])

    def wait(self, verification_id: str, *, timeout: float = 60.0, interval: float = 0.5) -> Verification:
        """Poll until the verification leaves `processing` (webhooks make this unnecessary)."""
        deadline = time.monotonic() + timeout
        while True:
            verification = self.retrieve(verification_id)
            if verification.status != "processing" or time.monotonic() > deadline:
                return verification
            time.sleep(interval)


class WebhookEndpoints:
    def __init__(self, client: Tasdeeq) -> None:
        self._client = client

    def create(self, *, url: str, enabled_events: list[str], description: str = "") -> WebhookEndpoint:
        body = {"url": url, "enabled_events": enabled_events, "description": description}
        return WebhookEndpoint.from_dict(self._client.request("POST", "/v1/webhook-endpoints", json=body))

    def list(self) -> list[WebhookEndpoint]:
        data = self._client.request("GET", "/v1/webhook-endpoints")
        return [WebhookEndpoint.from_dict(item) for item in data["results"]]

    def retrieve(self, endpoint_id: str) -> WebhookEndpoint:
        return WebhookEndpoint.from_dict(self._client.request("GET", f"/v1/webhook-endpoints/{endpoint_id}"))

    def update(self, endpoint_id: str, **changes: Any) -> WebhookEndpoint:
        data = self._client.request("PATCH", f"/v1/webhook-endpoints/{endpoint_id}", json=changes)
        return WebhookEndpoint.from_dict(data)

    def delete(self, endpoint_id: str) -> None:
        self._client.request("DELETE", f"/v1/webhook-endpoints/{endpoint_id}")

    def rotate_secret(self, endpoint_id: str, *, overlap_seconds: int | None = None) -> WebhookEndpoint:
        body = {} if overlap_seconds is None else {"overlap_seconds": overlap_seconds}
        data = self._client.request("POST", f"/v1/webhook-endpoints/{endpoint_id}/rotate-secret", json=body)
        return WebhookEndpoint.from_dict(data)

    def deliveries(self, endpoint_id: str) -> builtins.list[WebhookDelivery]:
        data = self._client.request("GET", f"/v1/webhook-endpoints/{endpoint_id}/deliveries")
        return [WebhookDelivery.from_dict(item) for item in data["results"]]

    def resend(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        path = f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend"
        return WebhookDelivery.from_dict(self._client.request("POST", path))
