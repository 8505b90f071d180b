"""A marketplace's seller onboarding with `tasdeeq-client`, end to end.

1. Once: register a webhook endpoint and keep its secret.
2. Per seller: open a verification with a `return_url` and send the seller's phone to `capture_url`
   (or, with your own app, upload the photos with the client secret as below).
3. In the webhook handler: verify the signature, drop duplicates by event id, act on the outcome.
4. On a decision: fetch the signed receipt and verify it offline; keep it instead of any document.

Run it against a local server in test mode (the outcome is forced, no provider is called):

    OUTBOUND_ALLOWED_NETWORKS=127.0.0.0/8 make run          # webhooks to this machine's receiver
    .venv/bin/python manage.py create_api_key acme --test      # prints {"api_key": "tdq_test_..."}
    make specimens
    .venv/bin/python -m examples.seller_onboarding --api-key tdq_test_... \
        --front var/specimens/passport.jpg --selfie var/specimens/selfie.jpg
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tasdeeq_client import ReceiptClaims, SignatureVerificationError, Tasdeeq, receipt_verify, webhook_verify

FINAL_EVENTS = {"verification.verified", "verification.rejected", "verification.needs_review"}


@dataclass
class Onboarding:
    seller_id: str
    verification_id: str
    capture_url: str
    client_secret: str


@dataclass
class WebhookInbox:
    """What the marketplace's webhook handler keeps: event ids seen, and each seller's outcome."""

    secret: str
    seen: set[str] = field(default_factory=set)
    outcomes: dict[str, str] = field(default_factory=dict)
    duplicates: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def handle(self, body: bytes, signature: str | None) -> int:
        """The handler's whole logic; returns the HTTP status to answer."""
        try:
            event = webhook_verify(body, signature, self.secret)
        except SignatureVerificationError:
            return 400  # not from Tasdeeq (or replayed late): ignore it
        if event.id in self.seen:
            self.duplicates += 1
            return 200  # a retry or a resend of something already handled
        self.seen.add(event.id)
        if event.type in FINAL_EVENTS:
            verification = event.verification
            self.outcomes[verification.subject] = verification.status
            self.done.set()
        return 200


def register_webhook(client: Tasdeeq, url: str) -> tuple[str, str]:
    endpoint = client.webhook_endpoints.create(
        url=url, enabled_events=sorted(FINAL_EVENTS), description="seller onboarding"
    )
    if endpoint.secret is None:
        raise RuntimeError("the create answer lacks the endpoint's secret")
    return endpoint.id, endpoint.secret


def start_onboarding(
    client: Tasdeeq, seller_id: str, *, return_url: str, test_outcome: str | None = None
) -> Onboarding:
    # The idempotency key makes a retried "start" (a double click, a timeout) open one verification.
    verification = client.verifications.create(
        subject=seller_id,
        return_url=return_url,
        test_outcome=test_outcome,
        idempotency_key=f"onboarding-{seller_id}",
    )
    if not verification.capture_url or not verification.client_secret:
        raise RuntimeError("the create answer lacks the capture URL or the client secret")
    return Onboarding(seller_id, verification.id, verification.capture_url, verification.client_secret)


def upload_from_own_app(client: Tasdeeq, onboarding: Onboarding, *, front: bytes, selfie: bytes) -> None:
    """What a tenant's own app does instead of the hosted page (with the client secret, not the key)."""
    for kind, content in (("id_front", front), ("selfie", selfie)):
        client.verifications.upload(
            onboarding.verification_id, kind=kind, content=content, client_secret=onboarding.client_secret
        )
    client.verifications.submit(onboarding.verification_id, client_secret=onboarding.client_secret)


def keep_receipt(client: Tasdeeq, verification_id: str, jwks: dict[str, Any]) -> tuple[str, ReceiptClaims]:
    token = client.verifications.receipt(verification_id)
    # A marketplace accepts live receipts only; this demo runs on a test key, so it opts in.
    return token, receipt_verify(token, jwks, allow_test=not client.livemode)


@contextmanager
def local_receiver(inbox: WebhookInbox) -> Iterator[str]:
    """A webhook receiver on this machine, standing in for the marketplace's server."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(inbox.handle(body, self.headers.get("Tasdeeq-Signature")))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tasdeeq-webhooks"
    finally:
        server.shutdown()
        server.server_close()


def demo(
    *,
    base_url: str,
    api_key: str,
    front: bytes,
    selfie: bytes,
    seller_id: str = "seller-123",
    wait: float = 60,
) -> dict[str, Any]:
    client = Tasdeeq(api_key, base_url)
    jwks = client.jwks()  # fetched once; receipts are then checked offline
    inbox = WebhookInbox(secret="")
    with local_receiver(inbox) as url:
        endpoint_id, inbox.secret = register_webhook(client, url)
        onboarding = start_onboarding(
            client,
            seller_id,
            return_url="https://shop.example/onboarding/done",
            test_outcome=None if client.livemode else "verified",
        )
        upload_from_own_app(client, onboarding, front=front, selfie=selfie)
        if not inbox.done.wait(wait):
            raise TimeoutError("no final webhook arrived")
    outcome = inbox.outcomes[seller_id]
    token, claims = keep_receipt(client, onboarding.verification_id, jwks)
    client.webhook_endpoints.delete(endpoint_id)
    return {
        "verification_id": onboarding.verification_id,
        "capture_url": onboarding.capture_url,
        "webhook_outcome": outcome,
        "receipt_outcome": claims.outcome,
        "receipt_kid": claims.kid,
        "receipt": token,
        "events_seen": len(inbox.seen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--front", type=Path, required=True)
    parser.add_argument("--selfie", type=Path, required=True)
    args = parser.parse_args()
    summary = demo(
        base_url=args.base_url,
        api_key=args.api_key,
        front=args.front.read_bytes(),
        selfie=args.selfie.read_bytes(),
    )
    print(json.dumps({k: v for k, v in summary.items() if k != "receipt"}, indent=2))


if __name__ == "__main__":
    main()
