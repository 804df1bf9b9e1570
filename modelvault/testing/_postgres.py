"""A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` into a temp
folder, `pg_ctl start` on a free loopback port (and a unix socket in the same
folder), torn down by `stop()` / the context manager.

PostgreSQL refuses to run as root: when this process is root, the server runs
as the unprivileged `postgres` user (`runuser`), and the folder is handed to
that user. Binaries are looked up on PATH, then under /usr/lib/postgresql/*/bin
(Debian and Ubuntu's `postgresql` package). Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

INSTALL_HINT = "apt-get install -y postgresql"
APP_USER = "modelvault"
APP_PASSWORD = "modelvault-test-password"
APP_DB = "modelvault"


class PostgresUnavailableError(RuntimeError):
    """No PostgreSQL server binaries here; the message names the install command."""


def find_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        bindir = Path(on_path).resolve().parent
        if all((bindir / name).exists() for name in ("initdb", "postgres", "psql")):
            return bindir
    raise PostgresUnavailableError(
        f"no PostgreSQL server found (initdb, pg_ctl): install it with `{INSTALL_HINT}`"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresCluster:
    """One throwaway cluster. `dsn()` is the application's URL (user
    `modelvault`, password auth over TCP); `admin_dsn()` the superuser's (trust,
    unix socket). `stop()` / `start()` / `restart()` for fault tests."""

    def __init__(self, *, durable: bool = False, max_connections: int = 200) -> None:
        self.bindir = find_bindir()
        self.durable = durable  # False: fsync off (tests); True: defaults (benchmarks)
        self.max_connections = max_connections
        self.root = Path(tempfile.mkdtemp(prefix="mvpg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.running = False
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailableError(
                    "PostgreSQL refuses to run as root and there is no `postgres` "
                    f"user to run it as: `{INSTALL_HINT}` creates one"
                ) from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self.root.chmod(0o700)

    # --- lifecycle -----------------------------------------------------------

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.destroy()

    def start(self) -> PostgresCluster:
        if not self.data.exists():
            self._initdb()
        settings = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-k {self.root}",
            f"-c max_connections={self.max_connections}",
        ]
        if not self.durable:
            settings += ["-c fsync=off", "-c synchronous_commit=off"]
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            " ".join(settings),
            "start",
        )
        self.running = True
        return self

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- addresses -----------------------------------------------------------

    def dsn(
        self,
        *,
        user: str = APP_USER,
        password: str | None = APP_PASSWORD,
        dbname: str = APP_DB,
    ) -> str:
        auth = user if password is None else f"{user}:{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def admin_dsn(self, dbname: str = APP_DB) -> str:
        return f"postgresql:///{dbname}?host={self.root}&port={self.port}&user=postgres"

    def psql(self, sql: str, dbname: str = APP_DB) -> str:
        """Run SQL as the superuser (over the unix socket); returns the output."""
        done = self._pg(
            "psql",
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.root),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            dbname,
            "-c",
            sql,
        )
        return done.stdout.strip()

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    # --- internals -----------------------------------------------------------

    def _initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(APP_PASSWORD + "\n", "utf-8")
        if self._as_user:
            user = pwd.getpwnam("postgres")
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._pg(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
            f"--pwfile={pwfile}",
        )
        pwfile.unlink()
        self.start()
        self.psql(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'", "postgres")
        self.psql(f"CREATE DATABASE {APP_DB} OWNER {APP_USER}", "postgres")
        self.stop()

    def _pg(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self._as_user, str(self.bindir / program), *args]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C"},
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n"
                f"{self.log()[-2000:]}"
            )
        return done
