"""A throwaway PostgreSQL server of our own, to stop and start: a real database outage.

`initdb` and `pg_ctl` from /usr/lib/postgresql/<version>/bin, a data folder in a fresh
temporary folder, a free loopback port, trust authentication, fsync off (a test's
data need not survive a power cut). PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` OS user, who owns the folder. `bench/db_outage.py` uses
it too.

    cluster = PostgresCluster.create()   # initdb, ~1 s
    cluster.start(); cluster.url()       # postgresql+psycopg://postgres@127.0.0.1:PORT/postgres
    cluster.stop()                       # pg_ctl stop -m fast: connections cut, port closed
    cluster.destroy()
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.ports import free_port

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_RUN_AS = "postgres"  # when we are root


def _bin_dir() -> Path | None:
    found = sorted(glob.glob(_BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    return Path(found[-1]) if found else (Path(p).parent if (p := shutil.which("pg_ctl")) else None)


class PostgresCluster:
    def __init__(self, bin_dir: Path, folder: Path, port: int) -> None:
        self._bin = bin_dir
        self.folder = folder
        self.port = port

    @staticmethod
    def problem() -> str | None:
        """Why a cluster cannot be made here; None when it can."""
        if _bin_dir() is None:
            return f"no initdb/pg_ctl in {_BIN_GLOB} or on PATH"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(_RUN_AS)
            except KeyError:
                return f"running as root and there is no {_RUN_AS!r} user to run PostgreSQL"
        return None

    @classmethod
    def create(cls) -> PostgresCluster:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError(cls.problem())
        folder = Path(tempfile.mkdtemp(prefix="aistatus-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam(_RUN_AS)
            os.chown(folder, user.pw_uid, user.pw_gid)
        cluster = cls(bin_dir, folder, free_port())
        cluster._run(
            "initdb",
            "-D",
            str(folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        return cluster

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin / program), *args]
        if os.geteuid() == 0:
            command = ["su", _RUN_AS, "-s", "/bin/sh", "-c", shlex.join(command)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
