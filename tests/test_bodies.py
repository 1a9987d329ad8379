"""Request bodies are bounded before they are parsed: a 413 `{"detail": ...}` over the limit
(`DATA_UPLOAD_MAX_MEMORY_SIZE`, 2 MiB; 16 KiB for the token endpoint), read no further than
the limit, declared or chunked; only the work-item import takes more (its file limit).

In process through the JSON parser, and against a real uvicorn process through the ASGI
middleware (a declared Content-Length is refused unread, a chunked body once it crosses)."""

from __future__ import annotations

import io
import json
import socket
import time
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token

from tests.stack import servers
from vsm_site.api import JSONParser
from vsm_site.bodies import RequestTooLarge
from workshops.models import Workshop

MIB = 1024 * 1024
asgi_servers = servers.asgi_servers


def _too_large(response: Any) -> str:
    assert response.status_code == 413, (response.status_code, response.content[:200])
    detail = response.json()["detail"]
    assert "larger than" in detail and response.json()["reason"] == "too_large"
    return detail


# In process: the JSON parser ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_20_mib_json_body_is_a_413_and_creates_nothing(cast, client_for):
    body = json.dumps({"title": "Big", "goal": "x" * (20 * MIB)})
    response = client_for(cast.facilitator).generic(
        "POST", "/api/workshops/", body, content_type="application/json"
    )
    assert "2 MiB" in _too_large(response)
    assert not Workshop.objects.filter(title="Big").exists()


@pytest.mark.django_db
def test_a_3_mib_anonymous_token_request_is_a_413(client_for):
    body = json.dumps({"username": "x" * (3 * MIB), "password": "pw"})
    response = client_for(None).generic(
        "POST", "/api/auth/token/", body, content_type="application/json"
    )
    assert "16 KiB" in _too_large(response)


@pytest.mark.django_db
def test_a_body_within_the_limit_is_parsed_and_validated(cast, client_for):
    body = json.dumps({"title": "Fine", "goal": "x" * MIB})
    response = client_for(cast.facilitator).generic(
        "POST", "/api/workshops/", body, content_type="application/json"
    )
    assert response.status_code == 400 and "goal" in response.json()["errors"]


class CountingStream(io.BytesIO):
    """A body of `size` bytes with no Content-Length (chunked) that counts what is read."""

    def __init__(self, size: int) -> None:
        super().__init__(b'{"title": "' + b"x" * size + b'"}')
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_the_parser_reads_at_most_the_limit_and_one_byte_of_an_undeclared_body(settings):
    stream = CountingStream(20 * MIB)
    with pytest.raises(RequestTooLarge):
        JSONParser().parse(stream, "application/json", {})
    assert stream.taken == settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


@pytest.mark.django_db
def test_json_nested_beyond_the_parser_is_a_400(cast, client_for):
    body = "[" * 200_000 + "]" * 200_000
    response = client_for(cast.facilitator).generic(
        "POST", "/api/workshops/", body, content_type="application/json"
    )
    assert response.status_code == 400 and "nested" in response.json()["detail"]
    assert response.json()["reason"] == "malformed"


@pytest.mark.django_db
@override_settings(VSM_IMPORT_MAX_BYTES=1000)
def test_an_import_body_over_its_file_limit_is_a_413(cast, client_for):
    upload = io.BytesIO(b"item_id,state,entered_at\n" + b"1,New,2024-01-01\n" * 10_000)
    upload.name = "history.csv"
    response = client_for(cast.facilitator).post(
        f"/api/workshops/{cast.workshop.pk}/work-items/import/", {"file": upload}
    )
    _too_large(response)


# A real server: the ASGI middleware ---------------------------------------------------------


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, Any]]:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1]
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), json.loads(body[:length])


def _ready(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_a_declared_20_mib_body_is_refused_by_the_server_unread(need_postgres, cast, asgi_servers):
    [server] = asgi_servers.get(1)
    key = Token.objects.create(user=cast.facilitator).key
    with socket.create_connection(("127.0.0.1", server.port), 5) as sock:
        sock.sendall(
            _head("POST", "/api/workshops/", {
                "Authorization": f"Token {key}", "Content-Type": "application/json",
                "Content-Length": str(20 * MIB),
            })
        )  # fmt: skip
        status, body = _answer(sock)  # no byte of the body was sent
    assert status == 413 and "2 MiB" in body["detail"]


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_a_chunked_3_mib_token_request_is_refused_once_it_crosses_the_limit(
    need_postgres, asgi_servers
):
    [server] = asgi_servers.get(1)
    chunk = b"x" * 16384
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), 5) as sock:
        sock.sendall(
            _head("POST", "/api/auth/token/", {
                "Content-Type": "application/json", "Transfer-Encoding": "chunked",
            })
        )  # fmt: skip
        try:
            while sent < 3 * MIB and not _ready(sock):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                time.sleep(0.005)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: it answered already
        status, body = _answer(sock)
    assert status == 413 and "16 KiB" in body["detail"]
    assert sent < MIB, f"the server read on until {sent} bytes"


@pytest.mark.stack
@pytest.mark.django_db(transaction=True)
def test_the_work_item_import_takes_a_file_over_the_general_limit(
    need_postgres, cast, asgi_servers
):
    [server] = asgi_servers.get(1)
    key = Token.objects.create(user=cast.facilitator).key
    rows = b"".join(b"W-%d,New,2024-01-01\n" % n for n in range(200_000))
    csv = b"item_id,state,entered_at\n" + rows
    assert 3 * MIB < len(csv) < 50 * MIB
    boundary = "vsm-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="h.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + csv
        + f"\r\n--{boundary}--\r\n".encode()
    )
    with socket.create_connection(("127.0.0.1", server.port), 5) as sock:
        sock.sendall(
            _head("POST", f"/api/workshops/{cast.workshop.pk}/work-items/import/", {
                "Authorization": f"Token {key}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(body)),
            }) + body
        )  # fmt: skip
        status, answer = _answer(sock, timeout=120)
    assert status in (201, 202), answer
