"""The embedded PostgreSQL + PostGIS cluster the service owns when no DATABASE_URL is given.

The cluster lives in a folder of the project (``.data/postgres``), listens on loopback only on a
port of its own and never touches a system cluster. PostgreSQL refuses to run as root, so when we
are root the server runs as the unprivileged ``postgres`` account that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

INSTALL_HINT = "sudo apt-get install -y postgresql postgis"
PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "fieldsales"


class ClusterError(RuntimeError):
    """Something the user must fix before the embedded cluster can run; the message says how."""


def postgis_versions() -> list[int]:
    """PostgreSQL major versions installed with their PostGIS extension, newest first."""
    found = []
    for bindir in PG_ROOT.glob("*/bin"):
        version = bindir.parent.name
        control = Path("/usr/share/postgresql") / version / "extension" / "postgis.control"
        if version.isdigit() and (bindir / "initdb").exists() and control.exists():
            found.append(int(version))
    return sorted(found, reverse=True)


def find_bindir() -> Path:
    """The bin folder of the newest PostgreSQL that has PostGIS, or a clear error."""
    versions = postgis_versions()
    if not versions:
        raise ClusterError(
            "PostgreSQL with PostGIS is not installed. Install it with:\n"
            f"    {INSTALL_HINT}\n"
            "or set DATABASE_URL to a PostgreSQL server that has PostGIS."
        )
    return PG_ROOT / str(versions[0]) / "bin"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen there now (servers set SO_REUSEADDR, so do we)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Cluster:
    """One PostgreSQL data folder with the port it listens on and its superuser password file."""

    data_dir: Path
    port: int
    password_file: Path

    @property
    def owner(self) -> pwd.struct_passwd | None:
        """The account the server runs as: ``postgres`` when we are root, else ourselves."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ClusterError(
                "Running as root needs the unprivileged 'postgres' account that Debian's "
                f"postgresql package creates. Install it with:\n    {INSTALL_HINT}"
            ) from exc

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        owner = self.owner
        return subprocess.run(
            [str(arg) for arg in args],
            capture_output=True,
            text=True,
            check=False,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            extra_groups=[] if owner else None,
            cwd="/",
        )

    def _chown(self, path: Path) -> None:
        owner = self.owner
        if owner:
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _check_reachable(self) -> None:
        """The server account must be able to walk down to the data folder."""
        owner = self.owner
        if owner is None:
            return
        for folder in [*reversed(self.data_dir.parent.resolve().parents), self.data_dir.parent]:
            info = folder.stat()
            if info.st_uid != owner.pw_uid and not info.st_mode & stat.S_IXOTH:
                raise ClusterError(
                    f"PostgreSQL runs as '{owner.pw_name}', which cannot enter {folder}. "
                    f"Allow it with `chmod o+x {folder}` or set FIELDSALES_DATA_DIR elsewhere."
                )

    def init(self) -> None:
        """Create the data folder, its superuser and the ``fieldsales`` database."""
        bindir = find_bindir()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._check_reachable()
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._chown(self.data_dir)
        password = secrets.token_urlsafe(24)
        pwfile = self.data_dir.parent / f".initdb-password-{os.getpid()}"
        pwfile.write_text(password + "\n")
        self._chown(pwfile)
        result = self._run(
            bindir / "initdb",
            "-D", self.data_dir,
            "-U", SUPERUSER,
            "--pwfile", pwfile,
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        pwfile.unlink()
        if result.returncode != 0:
            raise ClusterError(f"initdb failed in {self.data_dir}:\n{result.stderr.strip()}")
        self.password_file.parent.mkdir(parents=True, exist_ok=True)
        self.password_file.touch(mode=0o600)
        self.password_file.write_text(password + "\n")

    def pid(self) -> int | None:
        """The postmaster's pid when this cluster is running, else None."""
        pidfile = self.data_dir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        return pid

    def start(self) -> None:
        """Start the server on loopback and wait until it accepts connections."""
        if not port_is_free(self.port):
            raise ClusterError(
                f"Port {self.port} is already in use; the embedded PostgreSQL needs it. "
                "Set FIELDSALES_DB_PORT to a free port."
            )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories='{self.data_dir}'"
        )
        result = self._run(
            find_bindir() / "pg_ctl",
            "start", "-w", "-t", "60",
            "-D", self.data_dir,
            "-l", self.data_dir / "server.log",
            "-o", options,
        )  # fmt: skip
        if result.returncode != 0:
            log = self.data_dir / "server.log"
            tail = "\n".join(log.read_text().splitlines()[-10:]) if log.exists() else ""
            raise ClusterError(f"PostgreSQL did not start: {result.stderr.strip()}\n{tail}")
        self._create_database()

    def stop(self) -> None:
        if self.pid() is None:
            return
        self._run(find_bindir() / "pg_ctl", "stop", "-w", "-m", "fast", "-D", self.data_dir)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def dsn(self, database: str = SUPERUSER) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql+psycopg://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def libpq_dsn(self, database: str = SUPERUSER) -> str:
        return re.sub(r"^postgresql\+psycopg://", "postgresql://", self.dsn(database))

    def _create_database(self) -> None:
        with psycopg.connect(self.libpq_dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (SUPERUSER,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SUPERUSER)))
