"""Fault tests: the product run as production runs it — gunicorn, a Celery worker and beat, as
separate processes — against a Redis and a PostgreSQL of the tests' own, which the tests stop,
kill and restart. The shared PostgreSQL and Redis of the machine are never touched.

The tests drive the product over HTTP and read the results with psycopg. They run only in the
PostgreSQL + Redis run (DATABASE_URL is postgres://…) and need redis-server, initdb and pg_ctl;
otherwise they are skipped. Run them alone with `pytest -m faults tests/faults`.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)), "")
REDIS_SERVER = shutil.which("redis-server")
# The product's var dir (static files, beat schedule, logs); one per pytest-xdist process.
VAR_DIR = "var/test-faults-run" + (
    f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else ""
)


def _missing() -> str:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "fault tests run in the PostgreSQL + Redis run"
    if not REDIS_SERVER:
        return "needs redis-server"
    if not PG_BIN or not Path(PG_BIN, "initdb").exists():
        return "needs PostgreSQL's initdb and pg_ctl"
    return ""


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    for item in items:
        if "tests/faults/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.faults)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it if the test process dies, so that no product
    process outlives a test run that was killed (Linux's PR_SET_PDEATHSIG)."""
    os.setsid()  # its own process group: a kill reaches its children too
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def report(title: str, figures: dict) -> None:
    """Print a test's measured figures (shown with -s, and in the log CI keeps)."""
    width = max(len(name) for name in figures)
    lines = [f"\n--- {title} ---"] + [
        f"  {name:<{width}}  {value}" for name, value in figures.items()
    ]
    print("\n".join(lines), flush=True)
    with (BASE_DIR / VAR_DIR / "figures.txt").open("a") as handle:
        handle.write("\n".join(lines) + "\n")


def _wait(condition, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


# --- Redis ---------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own, without persistence: a restart comes back empty, as a Redis
    that lost its memory would (whatever was queued in it is gone)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        _wait(self._answers, 10, "redis-server to answer")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(workdir) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- PostgreSQL ----------------------------------------------------------------------------------


class PostgresCluster:
    """A throwaway cluster (initdb in a temporary folder) on a free port. As root, its commands
    run as the `postgres` user, since PostgreSQL refuses to run as root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="exhale-faults-pg-"))
        self.data = self.root / "data"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.root, "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/exhale"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run(
            f"{PG_BIN}/initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self.start()
        with psycopg.connect(self.url.replace("/exhale", "/postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE exhale")

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            f"{PG_BIN}/pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "postgres.log"),
            "-w",
            "-t",
            "60",
            *extra,
            action,
        )

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "immediate")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.destroy()


# --- The product ---------------------------------------------------------------------------------


class Product:
    """gunicorn, a Celery worker and beat, as the Procfile runs them, on our own PostgreSQL and
    Redis; emails go to the stand-in provider (tests/faults/provider.py)."""

    def __init__(self, database_url: str, redis_url: str, workdir: Path, **extra_env) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.mailbox = workdir / "mailbox"
        self.mailbox.mkdir(exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self.restarts: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._restarting = threading.Lock()
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
        self.env = {
            **env,
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "EXHALE_VAR_DIR": VAR_DIR,
            "EXHALE_SITE_URL": "http://exhale.test",
            "EMAIL_BACKEND": "tests.faults.provider.EmailBackend",
            "FAULTS_MAILBOX": str(self.mailbox),
            **extra_env,
        }

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _python(self, args: list[str], timeout: float) -> str:
        """Run this Python with `args` in the product's environment; its stdout."""
        result = subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def manage(self, *args: str, timeout: float = 300) -> str:
        return self._python(["manage.py", *args], timeout)

    def script(self, source: str, timeout: float = 300) -> dict:
        """Run Python in the product's environment (Django set up); it prints one JSON line."""
        prelude = "import django, json\ndjango.setup()\n"
        stdout = self._python(["-c", prelude + source], timeout)
        return json.loads(stdout.strip().splitlines()[-1])

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        self.processes[name] = process
        return process

    def start_web(self, workers: int = 3) -> None:
        self._start(
            "web",
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
        )
        _wait(self._web_answers, 60, "gunicorn to answer", interval=0.3)

    def _web_answers(self) -> bool:
        try:
            url = f"{self.base_url}/accounts/login/"
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (our own http URL)
                return r.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen:
        return self._start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "-Q",
                "escalation,default,reminders",
                "--without-mingle",
                "--without-gossip",
            ],
        )

    def start_beat(self) -> None:
        self._start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(self.workdir / "beat-schedule"),
            ],
        )

    def keep_running(self, name: str, start: Callable[[], object]) -> None:
        """Start `name` again whenever it exits, as the deployment's restart policy does
        (docker-compose.yml: `restart: unless-stopped`; docs/operations.md says why the worker
        needs one). Each restart is counted in `restarts`, for the test to report."""

        def watch() -> None:
            while not self._stopping.wait(0.5):
                with self._restarting:  # never a start after stop() has begun
                    if self.processes[name].poll() is not None and not self._stopping.is_set():
                        self.restarts[name] += 1
                        start()

        threading.Thread(target=watch, name=f"keep {name} running", daemon=True).start()

    def worker_children(self) -> list[int]:
        worker = self.processes["worker"]
        out = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def stop(self) -> None:
        with self._restarting:
            self._stopping.set()
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="session")
def migrated_db(pg_cluster) -> PostgresCluster:
    """Our own cluster with the product's schema, migrated once for the fault tests."""
    (BASE_DIR / VAR_DIR).mkdir(parents=True, exist_ok=True)
    product = Product(pg_cluster.url, "", BASE_DIR / VAR_DIR)
    started = time.monotonic()
    # gunicorn serves pages with the production static storage, which needs the manifest.
    static = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=BASE_DIR,
        env=product.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    product.manage("migrate", "--no-input")
    assert static.wait(timeout=300) == 0, static.stderr.read()[-3000:]
    print(
        f"\nfault tests: database migrated, static files collected in "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )
    with pg_cluster.connect() as conn:  # a template, so that each test starts from a clean copy
        conn.execute("CREATE DATABASE exhale_template TEMPLATE exhale")
    return pg_cluster


@pytest.fixture
def fresh_db(migrated_db) -> PostgresCluster:
    """A clean copy of the migrated database for one test."""
    with psycopg.connect(migrated_db.url.replace("/exhale", "/postgres"), autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS exhale WITH (FORCE)")
        c.execute("CREATE DATABASE exhale TEMPLATE exhale_template")
    return migrated_db


@pytest.fixture
def workdir(request) -> Path:
    """Logs and the provider's mailbox of one test, kept after it for a look."""
    path = BASE_DIR / VAR_DIR / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def product_factory(workdir) -> Iterator:
    started: list[Product] = []

    def make(database_url: str, redis_url: str, **extra_env) -> Product:
        product = Product(database_url, redis_url, workdir, **extra_env)
        started.append(product)
        return product

    yield make
    for product in started:
        product.stop()


# --- HTTP ----------------------------------------------------------------------------------------

CSRF = "faultsfaultsfaultsfaultsfaultsfa"  # a csrftoken cookie and header of our choosing


def http(method: str, url: str, session: str = "", body: dict | None = None, timeout: float = 35):
    """One request as a browser with a signed-in session would make it: (status, seconds, text).
    A status of 0 means no answer at all (connection refused or reset, or a timeout)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (http only)
    request.add_header("Cookie", f"sessionid={session}; csrftoken={CSRF}")
    request.add_header("X-CSRFToken", CSRF)
    request.add_header("Accept", "application/json, text/html")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, time.monotonic() - started, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, time.monotonic() - started, error.read().decode(errors="replace")
    except OSError as error:
        return 0, time.monotonic() - started, repr(error)
