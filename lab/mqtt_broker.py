"""A real Mosquitto broker on loopback for the satellite tests and the demo: TLS from a generated CA, a password.

    with MosquittoBroker() as broker:
        client.tls_set(ca_certs=str(broker.ca_path))
        client.username_pw_set(broker.username, broker.password)
        client.connect(broker.host, broker.tls_port)

Two listeners on 127.0.0.1 share one password file and one ACL (global security settings, Mosquitto's
default; 2.1 deprecates saying ``per_listener_settings false``): TLS at ``tls_port`` (what the tests
use) and plain TCP at ``plain_port`` (the demo's; a password is still required). Anonymous clients
are refused; the ACL starts by letting each added user read and write every topic. Every file (CA,
server certificate and key, password file, ACL, config, log) lives in ``workdir``. The broker runs as
the current user (``user`` in the config), so one started as root still reads files in a private folder.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"
DEFAULT_USERNAME = "uspd"
# Debian installs the broker in /usr/sbin, which a non-root PATH may lack.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
RELOAD_LINE = "Reloading config."
PROBE_TIMEOUT_S = 2.0
CERT_VALID_DAYS = 30


class BrokerError(RuntimeError):
    """The broker could not be set up or did not start; the message carries its log's tail."""


def executable(name: str) -> str | None:
    """Path of a Mosquitto program (`mosquitto`, `mosquitto_passwd`), None where it is not installed."""
    return shutil.which(name, path=SEARCH_PATH)


def available() -> bool:
    """Whether the broker and its password tool are installed (scripts/env installs them)."""
    return executable("mosquitto") is not None and executable("mosquitto_passwd") is not None


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct TCP ports free on `host` right now (all held at once, so they differ)."""
    held = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in held]
    finally:
        for sock in held:
            sock.close()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (Mosquitto warns about, and may refuse, looser secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def write_certificates(folder: Path, hosts: tuple[str, ...] = (HOST, "localhost")) -> tuple[Path, Path, Path]:
    """A fresh CA and a server certificate it signs for `hosts`: (ca.crt, server.crt, server.key) in `folder`.

    P-256 keys (milliseconds to make) and the extensions strict X.509 verification asks for
    (Python's default context since 3.13), so any client that trusts ca.crt verifies the broker.
    """
    now = datetime.datetime.now(datetime.UTC)
    not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=CERT_VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("uspd test CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.crt", folder / "server.crt", folder / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    _write_private(
        key_path,
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    return ca_path, cert_path, key_path


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Kill a broker still running when its owner is collected or the interpreter exits."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class MosquittoBroker:
    """One Mosquitto process on loopback with TLS and a password; start, stop, restart or kill it at will."""

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        username: str = DEFAULT_USERNAME,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        if not available():
            raise BrokerError("mosquitto is not installed (scripts/env installs Debian's mosquitto package)")
        self._owns_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="uspd-mosquitto-")) if workdir is None else workdir
        if any(char.isspace() for char in str(self.workdir)):
            raise BrokerError(f"the broker's folder may not contain spaces (its config cannot quote them): {workdir}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.username = username
        self.password = secrets.token_urlsafe(16) if password is None else password
        self.timeout_s = timeout_s
        self.tls_port, self.plain_port = free_ports(2)
        self.ca_path, self.cert_path, self.key_path = write_certificates(self.workdir)
        self.password_file = self.workdir / "passwd"
        self.acl_file = self.workdir / "acl"
        self.config_path = self.workdir / "mosquitto.conf"
        self.log_path = self.workdir / "mosquitto.log"
        self.stderr_path = self.workdir / "mosquitto.stderr"
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], MosquittoBroker] | None = None
        _write_private(self.password_file, b"")
        _write_private(self.acl_file, b"")
        self.add_user(username, self.password)
        self.config_path.write_text(self._config())

    def _config(self) -> str:
        tls = f"cafile {self.ca_path}\ncertfile {self.cert_path}\nkeyfile {self.key_path}\n"
        return (
            f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
            "allow_anonymous false\n"
            f"password_file {self.password_file}\n"
            f"acl_file {self.acl_file}\n"
            "persistence false\n"
            f"log_dest file {self.log_path}\n"
            "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            "connection_messages true\n"
            "log_timestamp_format %H:%M:%S\n"
            f"listener {self.tls_port} {self.host}\n{tls}"
            f"listener {self.plain_port} {self.host}\n"
        )

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return self._proc.pid if self.running and self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the broker process is alive (paused counts as alive)."""
        return self._proc is not None and self._proc.poll() is None

    def url(self, *, tls: bool = True) -> str:
        """The broker as `mqtts://127.0.0.1:PORT` (or `mqtt://…` for the plain listener)."""
        return f"mqtts://{self.host}:{self.tls_port}" if tls else f"mqtt://{self.host}:{self.plain_port}"

    def log_tail(self, lines: int = 20) -> str:
        """The last `lines` lines of the broker's log ('' before it wrote one)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def add_user(self, username: str, password: str, *, full_access: bool = True) -> None:
        """Add (or re-password) a user; `full_access` lets it read and write every topic. A running broker reloads."""
        passwd = executable("mosquitto_passwd")
        assert passwd is not None
        done = subprocess.run(
            [passwd, "-b", str(self.password_file), username, password],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            raise BrokerError(f"mosquitto_passwd failed for {username!r}: {(done.stderr or done.stdout).strip()}")
        if username == self.username:
            self.password = password
        if full_access:
            with self.acl_file.open("a") as acl:
                acl.write(f"user {username}\ntopic readwrite #\n")
        self.reload()

    def set_acl(self, text: str) -> None:
        """Replace the whole ACL (Mosquitto's acl_file syntax) and reload it; a user it does not name may do nothing."""
        _write_private(self.acl_file, text.encode())
        self.reload()

    def reload(self) -> None:
        """Make a running broker re-read its password file and ACL; returns once it has. Nothing when it is stopped."""
        if not self.running or self._proc is None:
            return
        reloads = self._log_count(RELOAD_LINE)
        self._proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + self.timeout_s
        while self._log_count(RELOAD_LINE) == reloads:
            if time.monotonic() > deadline or not self.running:
                raise BrokerError(f"mosquitto did not reload within {self.timeout_s} s:\n{self.log_tail()}")
            time.sleep(0.01)
        # The broker reloads in its only thread: once it answers a CONNECT after the log line, the reload is done.
        self._connack()

    def start(self) -> None:
        """Start the broker; returns once both listeners answer (BrokerError with the log's tail if they do not)."""
        if self.running:
            return
        mosquitto = executable("mosquitto")
        assert mosquitto is not None
        # What it says before its log file is open (a bad config) goes to stderr: keep that in a file, as a
        # pipe nobody reads could fill and block it. Its own session: a terminal's Ctrl-C to whoever started it
        # must not kill the broker before its clients have left; stop() ends it.
        with self.stderr_path.open("ab") as stderr:
            self._proc = subprocess.Popen(
                [mosquitto, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        self._finalizer = weakref.finalize(self, _end, self._proc)
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self._proc.poll() is not None:
                self._forget()
                stderr_tail = "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-20:])
                raise BrokerError(f"mosquitto exited at start:\n{stderr_tail}\n{self.log_tail()}".rstrip())
            try:
                self._tls_handshake()
                self._connack()
            except OSError as err:
                if time.monotonic() > deadline:
                    self.kill()
                    raise BrokerError(
                        f"mosquitto did not answer on {self.host}:{self.tls_port} (TLS) and :{self.plain_port} "
                        f"within {self.timeout_s} s ({err}):\n{self.log_tail()}"
                    ) from err
                time.sleep(0.02)
            else:
                return

    def _tls_handshake(self) -> None:
        """A TLS handshake on the TLS listener that verifies the server certificate against the CA."""
        context = ssl.create_default_context(cafile=self.ca_path)
        with (
            socket.create_connection((self.host, self.tls_port), timeout=PROBE_TIMEOUT_S) as sock,
            context.wrap_socket(sock, server_hostname=self.host) as tls,
        ):
            tls.unwrap()  # close_notify: a clean TLS leave, not an error in the broker's log

    def _connack(self) -> int:
        """Send an MQTT 3.1.1 CONNECT with the main user on the plain listener; the CONNACK's return code."""
        user, password = self.username.encode(), self.password.encode()
        variable = b"\x00\x04MQTT\x04\xc2\x00\x0a"  # protocol level 4; username, password, clean session; 10 s
        payload = b"\x00\x00" + len(user).to_bytes(2) + user + len(password).to_bytes(2) + password
        body = variable + payload
        length = bytearray()
        remaining = len(body)
        while True:  # MQTT's variable-length integer
            byte, remaining = remaining % 128, remaining // 128
            length.append(byte | (0x80 if remaining else 0))
            if not remaining:
                break
        with socket.create_connection((self.host, self.plain_port), timeout=PROBE_TIMEOUT_S) as sock:
            sock.sendall(b"\x10" + bytes(length) + body)
            connack = b""
            while len(connack) < 4:
                chunk = sock.recv(4 - len(connack))
                if not chunk:
                    raise ConnectionError("the broker closed the connection before its CONNACK")
                connack += chunk
            if connack[0] != 0x20:
                raise ConnectionError(f"the broker answered CONNECT with packet type {connack[0]:#x}")
            if connack[3] == 0:
                sock.sendall(b"\xe0\x00")  # DISCONNECT, so the log shows a clean leave
            return connack[3]

    def _log_count(self, text: str) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(text)
        except FileNotFoundError:
            return 0

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the broker as a service stop does (SIGTERM; SIGKILL after `timeout_s`); nothing if stopped."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)  # a paused broker handles SIGTERM only once it runs again
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._forget()

    def kill(self) -> None:
        """Kill the broker outright (SIGKILL), as a crash or a power cut does; nothing if stopped."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        self._forget()

    def restart(self) -> None:
        """Stop the broker and start it again on the same ports with the same users, ACL and certificates."""
        self.stop()
        self.start()

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): connections stay open but nothing answers, as in a network cut."""
        if self.running and self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused broker run again (SIGCONT)."""
        if self.running and self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        """Stop the broker and remove its folder if this object made it."""
        self.stop()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _forget(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
        self._proc = None
        self._finalizer = None

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
