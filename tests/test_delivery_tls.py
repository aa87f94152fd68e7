"""SMTP over STARTTLS and implicit TLS (a certificate for 127.0.0.1 made here, trusted through
SSL_CERT_FILE as a private CA would be), and the configured rate limit."""

from __future__ import annotations

import ipaddress
import ssl
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from delivery_support import ISSUE_ID, ScriptedServer, approve_issue, registry_rows, with_smtp

from renkei import pipeline
from renkei.delivery.send import DeliveryPaused


def write_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed CA certificate for 127.0.0.1 and its key, as PEM files in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.fixture
def tls_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1, trusted by clients."""
    cert_file, key_file = write_certificate(tmp_path / "trusted")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # ssl.create_default_context reads it
    return server_context(cert_file, key_file)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_send_over_tls_delivers_every_message_on_one_connection(
    settings_for, tls_context: ssl.SSLContext, security: str
) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    options = (
        {"tls_context": tls_context, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": tls_context}
    )
    with ScriptedServer(**options) as server:
        report = pipeline.send(with_smtp(settings, server.port, smtp_security=security), ISSUE_ID)
    assert report.summary() == f"issue {ISSUE_ID}: 3 sent, 0 already had it, 0 failed"
    assert len(server.messages) == 3
    assert server.tls_seen == [True, True, True]
    assert len(set(server.sessions)) == 1  # the connection is reused


def test_an_untrusted_certificate_is_a_connection_failure_not_a_send(settings_for, tmp_path):
    settings = settings_for(registry_rows(1))
    approve_issue(settings)
    # a certificate nobody trusts: made like the fixture's, without SSL_CERT_FILE naming it
    context = server_context(*write_certificate(tmp_path / "untrusted"))
    with ScriptedServer(ssl_context=context) as server:
        smtp = with_smtp(settings, server.port, smtp_security="tls", max_connection_failures=2)
        with pytest.raises(DeliveryPaused, match="CERTIFICATE_VERIFY_FAILED"):
            pipeline.send(smtp, ISSUE_ID)
    assert server.messages == []


def test_the_rate_limit_spaces_messages(settings_for) -> None:
    settings = settings_for(registry_rows(3))  # four addresses
    approve_issue(settings)
    with ScriptedServer() as server:
        arrivals: list[float] = []
        server.on_rcpt = lambda address: arrivals.append(time.monotonic())
        pipeline.send(with_smtp(settings, server.port, rate_per_second=10.0), ISSUE_ID)
    gaps = [b - a for a, b in pairwise(arrivals)]
    # 10 per second: at least 0.1 s apart (the first gap also holds the connection set-up)
    assert len(gaps) == 3 and min(gaps[1:]) >= 0.09
