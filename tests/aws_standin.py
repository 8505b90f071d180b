"""A loopback stand-in for the AWS operations moto's server does not implement.

It speaks botocore's JSON protocol (POST /, `X-Amz-Target: <Service>.<Operation>`, JSON body,
`application/x-amz-json-1.1`), answering as the AWS API references document:
- Rekognition DetectFaces, CreateFaceLivenessSession, GetFaceLivenessSessionResults (with its
  ReferenceImage, the live face, when the test sets one);
- Textract AnalyzeID.
Anything else (CompareFaces, SNS Publish, ...) is forwarded unchanged to moto's server, so an adapter has one
endpoint and moto stays the source of truth where it supports the operation.

Faults are scripted per operation, consumed one per request: an HTTP error with an AWS error type
(5xx bursts, ThrottlingException, InvalidParameterException, AccessDeniedException), a delay (read
timeouts), or a hold until the test releases it (to kill a worker mid-call). It runs in the test
process, so the worker process talks to it over real HTTP while the test scripts it directly.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    status: int = 0  # 0: answer normally after the delay / hold
    error_type: str = ""
    delay: float = 0.0
    hold: threading.Event | None = None

    @classmethod
    def error(cls, status: int, error_type: str) -> Fault:
        return cls(status=status, error_type=error_type)

    @classmethod
    def server_error(cls) -> Fault:
        return cls(status=500, error_type="InternalServerError")

    @classmethod
    def throttled(cls) -> Fault:
        return cls(status=400, error_type="ThrottlingException")

    @classmethod
    def invalid_parameter(cls) -> Fault:
        return cls(status=400, error_type="InvalidParameterException")

    @classmethod
    def access_denied(cls) -> Fault:
        return cls(status=400, error_type="AccessDeniedException")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay=seconds)


@dataclass
class LivenessState:
    status: str = "CREATED"
    confidence: float | None = None
    # The frame of the live face AWS returns as ReferenceImage once the session SUCCEEDED.
    reference: bytes | None = None


@dataclass
class StandIn:
    forward_to: str
    url: str = ""
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    # What the last request of each operation carried (shape only, never stored content).
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)
    faces: int = 1
    # Fields AnalyzeID reads (Textract's field types -> text); set per test from the specimen.
    id_fields: dict[str, str] = field(default_factory=dict)
    id_type: str = "PASSPORT"
    sessions: dict[str, LivenessState] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, operation: str, *faults: Fault) -> None:
        with self.lock:
            self.faults.setdefault(operation, deque()).extend(faults)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.requests.clear()
            self.shapes.clear()
            self.faces = 1
            self.id_fields = {}
            self.id_type = "PASSPORT"
            self.sessions.clear()
            self.tokens.clear()

    def wait_for(self, operation: str, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while self.requests[operation] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{operation} was not called {count} time(s)")
                self.arrived.wait(left)

    def worker_env(self) -> dict[str, str]:
        """Settings for a worker process using this stand-in (and moto behind it)."""
        return {
            "TASDEEQ_PROVIDERS": "aws_rekognition,aws_liveness,aws_textract,aws_sns",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REKOGNITION_ENDPOINT_URL": self.url,
            "AWS_TEXTRACT_ENDPOINT_URL": self.url,
            "AWS_SNS_ENDPOINT_URL": self.forward_to,
            "PROVIDER_BACKOFF_BASE_MS": "20",
            "PROVIDER_BACKOFF_MAX_MS": "100",
            "PROVIDER_READ_TIMEOUT_SECONDS": "5",
        }

    # --- answers, shaped as the AWS API references show them -------------------------------------

    def answer(self, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if operation == "DetectFaces":
            return 200, {"FaceDetails": [_face_detail(i) for i in range(self.faces)]}
        if operation == "CreateFaceLivenessSession":
            token = str(body.get("ClientRequestToken") or uuid.uuid4())
            with self.lock:
                session_id = self.tokens.setdefault(token, str(uuid.uuid4()))
                self.sessions.setdefault(session_id, LivenessState())
            return 200, {"SessionId": session_id}
        if operation == "GetFaceLivenessSessionResults":
            state = self.sessions.get(str(body.get("SessionId")))
            if state is None:
                return 400, {"__type": "SessionNotFoundException", "message": "Session not found"}
            answer: dict[str, Any] = {"SessionId": body["SessionId"], "Status": state.status}
            if state.confidence is not None:
                answer["Confidence"] = state.confidence
                answer["AuditImages"] = []
            if state.reference is not None:
                answer["ReferenceImage"] = {
                    "Bytes": base64.b64encode(state.reference).decode(),
                    "BoundingBox": {"Width": 0.4, "Height": 0.5, "Left": 0.3, "Top": 0.2},
                }
            return 200, answer
        if operation == "AnalyzeID":
            return 200, self._analyze_id(body)
        return None

    def _analyze_id(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = [_id_field("ID_TYPE", self.id_type)]
        for kind, text in self.id_fields.items():
            fields.append(_id_field(kind, text))
        return {
            "IdentityDocuments": [{"DocumentIndex": 1, "IdentityDocumentFields": fields, "Blocks": []}],
            "DocumentMetadata": {"Pages": len(body.get("DocumentPages") or [])},
            "AnalyzeIDModelVersion": "1.0",
        }


def _face_detail(index: int) -> dict[str, Any]:
    return {
        "BoundingBox": {"Width": 0.3, "Height": 0.4, "Left": 0.1 + 0.4 * index, "Top": 0.2},
        "Landmarks": [{"Type": "eyeLeft", "X": 0.2, "Y": 0.3}, {"Type": "eyeRight", "X": 0.3, "Y": 0.3}],
        "Pose": {"Roll": 1.2, "Yaw": -3.4, "Pitch": 2.0},
        "Quality": {"Brightness": 81.5, "Sharpness": 92.3},
        "EyesOpen": {"Value": True, "Confidence": 98.1},
        "Confidence": 99.9,
    }


def _id_field(kind: str, text: str) -> dict[str, Any]:
    detection: dict[str, Any] = {"Text": text, "Confidence": 98.7}
    if kind in {"DATE_OF_BIRTH", "EXPIRATION_DATE", "DATE_OF_ISSUE"}:
        # AnalyzeID prints the date as on the card and adds the normalised ISO form.
        detection["Text"] = f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
        detection["NormalizedValue"] = {"Value": f"{text}T00:00:00", "ValueType": "Date"}
    return {"Type": {"Text": kind, "Confidence": 99.0}, "ValueDetection": detection}


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """Which keys carried what kind of image: {"SourceImage": "Bytes", ...}; no content kept."""
    shape: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, dict) and ("Bytes" in value or "S3Object" in value):
            kind = "Bytes" if "Bytes" in value else "S3Object"
            size = len(base64.b64decode(value["Bytes"])) if kind == "Bytes" else 0
            shape[key] = {"kind": kind, "size": size}
        elif key == "DocumentPages":
            shape[key] = [{"kind": "Bytes" if "Bytes" in page else "S3Object"} for page in value]
    return shape


def start_standin(forward_to: str) -> tuple[StandIn, ThreadingHTTPServer]:
    standin = StandIn(forward_to=forward_to)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            target = self.headers.get("X-Amz-Target", "")
            operation = target.rpartition(".")[2]
            body = json.loads(raw or b"{}") if target else {}
            if not target:  # the query protocol (SNS): Action=Publish&... in a form body
                operation = urllib.parse.parse_qs(raw.decode()).get("Action", [""])[0]
            with standin.arrived:
                standin.requests[operation] += 1
                standin.shapes[operation] = _shape(body)
                standin.arrived.notify_all()
            with standin.lock:
                queue = standin.faults.get(operation)
                fault = queue.popleft() if queue else None
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.hold is not None:
                    fault.hold.wait(120)
                if fault.status:
                    if target:
                        self._json(fault.status, {"__type": fault.error_type, "message": "injected fault"})
                    else:
                        self._xml_error(fault.status, fault.error_type)
                    return
            answer = standin.answer(operation, body) if target else None
            if answer is None:
                self._forward(raw)
                return
            self._json(*answer)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the caller gave up (timeout) or died (a killed worker)

        def _xml_error(self, status: int, code: str) -> None:
            kind = "Receiver" if status >= 500 else "Sender"
            data = (
                f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
                f"<Message>injected fault</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                "</ErrorResponse>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _forward(self, raw: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
            request = urllib.request.Request(standin.forward_to + self.path, data=raw, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                    status, data, kind = response.status, response.read(), response.headers["Content-Type"]
            except urllib.error.HTTPError as exc:
                status, data, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "")
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin, server
