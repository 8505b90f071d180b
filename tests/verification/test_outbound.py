"""The SSRF-guarded outbound client, against real HTTP servers on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import override_settings

from verification.outbound import (
    MAX_RESPONSE_BYTES,
    DestinationNotAllowed,
    OutboundConnectionError,
    OutboundTimeout,
    Timeout,
    destination_check,
    outbound_post,
)


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict[str, Any]]
    behaviour: str = "ok"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        behaviour = self.server.behaviour
        if behaviour == "slow":
            time.sleep(1.5)
        if behaviour == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
            return
        payload = b"x" * (MAX_RESPONSE_BYTES * 4) if behaviour == "big" else b"thanks"
        self.send_response(500 if behaviour == "error" else 200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: Receiver, path: str = "/hook?x=1") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_posts_body_and_headers_to_an_allowed_receiver(receiver: Receiver) -> None:
    response = outbound_post(_url(receiver), body=b'{"a":1}', headers={"Content-Type": "application/json"})
    assert response.status == 200 and response.ok
    assert response.body == b"thanks"
    (request,) = receiver.requests
    assert request["path"] == "/hook?x=1"
    assert request["body"] == b'{"a":1}'
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Host"] == f"127.0.0.1:{receiver.server_address[1]}"


def test_non_2xx_is_an_answer_not_an_error(receiver: Receiver) -> None:
    receiver.behaviour = "error"
    response = outbound_post(_url(receiver), body=b"{}", headers={})
    assert response.status == 500 and not response.ok


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.behaviour = "redirect"
    response = outbound_post(_url(receiver), body=b"{}", headers={})
    assert response.status == 302
    assert len(receiver.requests) == 1


def test_response_body_is_capped(receiver: Receiver) -> None:
    receiver.behaviour = "big"
    response = outbound_post(_url(receiver), body=b"{}", headers={})
    assert len(response.body) == MAX_RESPONSE_BYTES


def test_read_timeout(receiver: Receiver) -> None:
    receiver.behaviour = "slow"
    with pytest.raises(OutboundTimeout) as caught:
        outbound_post(_url(receiver), body=b"{}", headers={}, timeout=Timeout(connect=1, read=0.3))
    assert not caught.value.permanent


def test_connection_refused_is_transient() -> None:
    with pytest.raises(OutboundConnectionError) as caught:
        outbound_post("http://127.0.0.1:1/hook", body=b"{}", headers={})
    assert not caught.value.permanent


@override_settings(OUTBOUND_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "https://2130706433/hook",  # 127.0.0.1 as a decimal integer
    ],
)
def test_private_destinations_are_refused(url: str) -> None:
    with pytest.raises(DestinationNotAllowed) as caught:
        destination_check(url)
    assert caught.value.permanent


@override_settings(OUTBOUND_ALLOWED_NETWORKS=[])
def test_refused_before_any_connection(receiver: Receiver) -> None:
    with pytest.raises(DestinationNotAllowed):
        outbound_post(_url(receiver), body=b"{}", headers={})
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "https://user:pass@93.184.216.34/",
        "not a url",
        "https:///nohost",
        "https://93.184.216.34:99999/",
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(DestinationNotAllowed) as caught:
        destination_check(url)
    assert caught.value.code == "destination_invalid"


def test_public_destinations_need_https() -> None:
    # An IP literal: nothing is resolved or contacted.
    with pytest.raises(DestinationNotAllowed) as caught:
        destination_check("http://93.184.216.34/hook")
    assert caught.value.code == "destination_insecure"
    destination = destination_check("https://93.184.216.34/hook?a=b")
    assert str(destination.address) == "93.184.216.34"
    assert destination.path == "/hook?a=b"
    assert destination.port == 443
