"""A real HTTPS receiver on 127.0.0.1 for the outgoing webhook tests: a certificate made here for
127.0.0.1, a threaded http.server behind TLS, and every request it gets kept in order; answers
are scripted per request. The client trusts the certificate through an injected transport."""

from __future__ import annotations

import datetime
import ipaddress
import queue
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tanggap.connectors.http import PlatformHTTP


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # OpenSSL checks validity against the real clock, while the suite may run with Python's
    # clock moved (--clock-offset-days): a window that holds for either, read from no clock.
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
            .not_valid_after(datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    url: str
    cert: Path
    received: list[Received] = field(default_factory=list)
    # Status codes to answer with, in order; 200 once they run out.
    answers: queue.Queue = field(default_factory=queue.Queue)

    def client(self) -> PlatformHTTP:
        context = ssl.create_default_context(cafile=str(self.cert))
        return PlatformHTTP(transport=httpx.HTTPTransport(verify=context), timeout=10)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.receiver.received.append(  # type: ignore[attr-defined]
            Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        try:
            status = self.server.receiver.answers.get_nowait()  # type: ignore[attr-defined]
        except queue.Empty:
            status = 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class running_receiver:  # noqa: N801 - used as a context manager
    def __enter__(self) -> Receiver:
        self._folder = tempfile.TemporaryDirectory()
        cert, key = _certificate(Path(self._folder.name))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        port = self._server.server_address[1]
        receiver = Receiver(url=f"https://127.0.0.1:{port}/tanggap-events", cert=cert)
        self._server.receiver = receiver  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return receiver

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._folder.cleanup()
