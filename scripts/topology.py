"""The production topology of docs/operations.md on this machine, for the rehearsal
(scripts/rehearse_production.py) and the load benchmark through the proxy (benchmarks/load.py
--via-nginx):

    client (127.0.0.x) ─https─> nginx (Debian's package, TLS with a self-signed certificate)
        ─> gunicorn A, gunicorn B (run:app, config.Config)  ─> PostgreSQL, Redis (rate limits)
    python -m scheduler (active) + python -m scheduler (standby)
    sandbox (AIRAS/AINAS/MLIT), SMTP server (aiosmtpd)

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are the machine's own; everything else
is started here, on free loopback ports, with its output in a log file of the run's directory,
and stopped by ``Topology.stop_all``. Nothing listens beyond 127.0.0.1.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
NGINX = "/usr/sbin/nginx"
PUBLIC_HOST = "keizoku.rehearsal.example"  # the public name; the client connects to 127.0.0.1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corporate_number(base12: str) -> str:
    from app.domain.corporate_number import check_digit

    return f"{check_digit(base12)}{base12}"


def production_env(*, database_url, public_url, sandbox_url, smtp_port, redis_url) -> dict:
    """The environment of every process: config.Config with valid operator settings (none of
    them the shipped samples), the proxy trusted once, rate limits in Redis, mail to the local
    SMTP server, the outside systems played by the sandbox."""
    return {
        "KEIZOKU_CONFIG": "config.Config",
        "FLASK_APP": "run.py",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "rehearsal-" + os.urandom(24).hex(),
        "PUBLIC_BASE_URL": public_url,
        "TRUSTED_PROXY_COUNT": "1",  # nginx, and nothing else, sits before gunicorn
        "RATELIMIT_STORAGE_URI": redis_url,
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "0",
        "MAIL_DEFAULT_SENDER": "keizoku@rehearsal-kyokai.or.jp",
        "SERVICE_NAME": "Keizoku(リハーサル)",
        "ASSOCIATION_NAME": "一般社団法人 整備リハーサル協会",
        "ASSOCIATION_ADDRESS": "〒231-0023 神奈川県横浜市中区山下町2-3",
        "ASSOCIATION_PHONE": "045-212-3456",
        "ASSOCIATION_CONTACT": "リハーサル協会 サポートデスク 045-212-3456",
        "ASSOCIATION_SUPPORT_EMAIL": "support@rehearsal-kyokai.or.jp",
        # A 法人番号 with its check digit (app/domain/corporate_number.py), not a sample's.
        "INVOICE_REGISTRATION_NUMBER": "T" + corporate_number("020001077777"),
        "DEBIT_CONSIGNOR_CODE": "4810203040",
        "DEBIT_CONSIGNOR_NAME": "ｾｲﾋﾞﾘﾊ-ｻﾙｷﾖｳｶｲ",
        "DEBIT_BANK_CODE": "0005",  # 三菱ＵＦＪ銀行
        "DEBIT_BRANCH_CODE": "251",  # 横浜駅前支店
        "DEBIT_ACCOUNT_TYPE": "1",
        "DEBIT_ACCOUNT_NUMBER": "0246813",
        "AIRAS_BASE_URL": f"{sandbox_url}/airas", "AINAS_BASE_URL": f"{sandbox_url}/ainas",
        "MLIT_BASE_URL": f"{sandbox_url}/mlit", "MLIT_KEI_BASE_URL": f"{sandbox_url}/kei",
        "LOG_LEVEL": "INFO",
    }


def ensure_nginx(log=print) -> str:
    """Debian's nginx, installed with apt-get when it is missing (as root)."""
    if os.path.exists(NGINX):
        return NGINX
    if os.geteuid() != 0:
        raise RuntimeError("nginx is not installed: run `apt-get install nginx` as root")
    log("installing nginx from Debian's package (apt-get install nginx)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return NGINX


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the public name and 127.0.0.1, valid two days."""
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={PUBLIC_HOST}",
                    "-addext", f"subjectAltName=DNS:{PUBLIC_HOST},IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(key, 0o644)  # nginx's workers run as nobody; the directory is ours alone
    return cert, key


NGINX_CONF = """\
# docs/operations.md §1, on loopback ports. $http_host (not $host) keeps the port for the
# app's redirects: production listens on 443, where the two are the same.
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/nginx-tmp/body;
    proxy_temp_path {dir}/nginx-tmp/proxy;
    fastcgi_temp_path {dir}/nginx-tmp/fastcgi;
    uwsgi_temp_path {dir}/nginx-tmp/uwsgi;
    scgi_temp_path {dir}/nginx-tmp/scgi;
    upstream keizoku {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {host};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        client_max_body_size 12m;  # above the app's MAX_CONTENT_LENGTH: its Japanese 413 answers
        location / {{
            proxy_pass http://keizoku;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_read_timeout 90s;
        }}
    }}
}}
"""


def nginx_config(directory: Path, port: int, upstream_ports, cert: Path, key: Path) -> Path:
    (directory / "nginx-tmp").mkdir(exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstream_ports)
    path = directory / "nginx.conf"
    path.write_text(NGINX_CONF.format(dir=directory, servers=servers, port=port, host=PUBLIC_HOST,
                                      cert=cert, key=key))
    return path


class SourceAddressAdapter(HTTPAdapter):
    """Connections from one loopback address (127.0.0.2, …): a client of its own to nginx."""

    def __init__(self, source_address, **kwargs):
        self.source_address = source_address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source_address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_session(base_url: str, source_address: str, ca_file: Path) -> requests.Session:
    """A browser-like session to ``base_url`` from ``source_address``: verifies the rehearsal's
    certificate and sends a same-origin Referer (Flask-WTF checks it on https POSTs)."""
    session = requests.Session()
    session.trust_env = False  # no proxy and no CA bundle from the environment: loopback only
    for scheme in ("https://", "http://"):
        session.mount(scheme, SourceAddressAdapter(source_address, pool_maxsize=4))
    session.verify = str(ca_file)
    session.headers["Referer"] = base_url + "/"
    return session


class Topology:
    """Processes started for one run, each logging to ``<dir>/<name>.log``."""

    def __init__(self, directory: Path, env: dict):
        self.dir = directory
        self.env = dict(os.environ, **env)
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs = {}

    def log_path(self, name) -> Path:
        return self.dir / f"{name}.log"

    def start(self, name, argv, env=None) -> subprocess.Popen:
        log = open(self.log_path(name), "ab")
        process = subprocess.Popen(argv, cwd=ROOT, env=dict(self.env, **(env or {})),
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name], self._logs[name] = process, log
        return process

    def flask(self, *args, timeout=600) -> str:
        """A `flask` command with the run's environment; its output, or RuntimeError."""
        done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {(done.stderr or done.stdout)[-800:]}")
        return done.stdout

    def start_sandbox(self, port, profile="fast"):
        return self.start("sandbox", [PYTHON, "-m", "app.integrations.sandbox", "--host",
                                      "127.0.0.1", "--port", str(port), "--profile", profile,
                                      "--state-file", str(self.dir / "sandbox-state.json")])

    def start_gunicorn(self, name, port, workers=2, threads=2):
        return self.start(name, [str(BIN / "gunicorn"), "-w", str(workers), "--threads",
                                 str(threads), "-b", f"127.0.0.1:{port}", "--timeout", "60",
                                 "--keep-alive", "75", "--log-level", "warning", "run:app"])

    def start_scheduler(self, name, *options):
        return self.start(name, [PYTHON, "-m", "scheduler", *options])

    def start_nginx(self, port, upstream_ports):
        cert, key = make_certificate(self.dir)
        conf = nginx_config(self.dir, port, upstream_ports, cert, key)
        subprocess.run([ensure_nginx(), "-t", "-q", "-c", str(conf), "-p", str(self.dir)],
                       check=True, capture_output=True)
        self.start("nginx", [NGINX, "-c", str(conf), "-p", str(self.dir), "-g", "daemon off;"])
        return cert

    def signal(self, name, sig):
        self.processes[name].send_signal(sig)

    def stop(self, name, timeout=20):
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGCONT)  # a frozen process cannot stop otherwise
            process.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        except ProcessLookupError:
            pass

    def stop_all(self):
        for name in reversed(list(self.processes)):
            self.stop(name)
        for log in self._logs.values():
            log.close()


def wait_for(predicate, timeout, what, interval=0.25):
    """Poll ``predicate`` until it returns something true; RuntimeError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (requests.RequestException, OSError):
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def answers(url, **kwargs) -> bool:
    requests.get(url, timeout=5, allow_redirects=False, **kwargs)
    return True


def remove_tree(path: Path):
    shutil.rmtree(path, ignore_errors=True)
