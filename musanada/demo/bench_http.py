"""The load mode of `musanada bench`: drive a running server over HTTP and report each operation.

    DJANGO_SETTINGS_MODULE=musanada.demo.benchsettings DEBUG=0 DB_CONN_MAX_AGE=600 \\
        MUSANADA_API_RATE=1000000/second musanada serve --bind 127.0.0.1:8000 &
    musanada bench load --url http://127.0.0.1:8000 --clients 8 --seconds 20 --warmup 5

The operations are those of the issue's table, as the agent of the central Massar desk (the largest desk):
the framework ceiling (`/ceiling/`, musanada.demo.benchsettings), the inbox's default tab, the API list of
the desk, a ticket page, a keyword search, the dashboard; then filing through the API (a teacher) and
escalating through the API (the head of the teacher's school, each time a ticket just filed). Each runs
`--warmup` seconds unmeasured then `--seconds` measured, with `--clients` connections, driven by wrk
(Debian package `wrk`) and musanada/demo/bench.lua; the report gives requests per second, p50/p95/p99 in
milliseconds, the status codes, and each operation's share of the ceiling's requests per second measured in
the same run. Then it counts the jobs the write runs queued and times one worker process draining them
(`musanada run-jobs --until-empty`).

The command prepares its own credentials in the server's database (so it needs the same DATABASE_URL):
a dedicated agent of the desk, `bench-load-central`, with a fresh random password, signed in through the
sign-in form for a session cookie; API tokens for the teacher and the head from the product's token service
(revoked at the end). The server must not run the jobs itself (`musanada serve` does not, unless
`--with-jobs`), or the drain measures nothing.
"""

import contextlib
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from musanada.api import services as api_services
from musanada.demo import bench_text
from musanada.jobs import runner
from musanada.org.models import Membership, OrgUnit, Role, UnitKind, User
from musanada.org.services import membership_grant
from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Status

SCRIPT = Path(__file__).with_name("bench.lua")
CENTRAL_USERNAME = "bench-load-central"
SEARCH_WORD = "imprimante"


class LoadModeError(Exception):
    pass


@dataclass
class Run:
    """One operation's measured run, as wrk reported it."""

    name: str
    label: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    codes: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    sent: int = 0
    warmup_sent: int = 0

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.codes.items() if 200 <= int(code) < 300)


@dataclass
class Report:
    url: str
    clients: int
    seconds: int
    warmup: int
    wrk: str
    runs: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    jobs_queued: int | None = None
    jobs_drain: str = ""
    jobs_seconds: float | None = None

    def run(self, name: str) -> Run | None:
        return next((run for run in self.runs if run.name == name), None)


@dataclass
class Setup:
    central: User
    desk: OrgUnit
    teacher: User
    head: User
    school: OrgUnit
    category: str
    reference: str
    password: str = ""
    cookie: str = ""
    tokens: dict = field(default_factory=dict)  # username -> (token row, value)


def wrk_path() -> str | None:
    return shutil.which("wrk")


# Preparing: people, credentials, a ticket --------------------------------------------------------------


def prepare(
    desk_code: str = "MEN-MASSAR", category: str = "massar-grades", school: str | None = None
) -> Setup:
    desk = OrgUnit.objects.filter(code=desk_code, is_active=True).first()
    if desk is None:
        raise LoadModeError(f"No active desk {desk_code}: load the org tree (musanada load-org).")
    central, _created = User.objects.get_or_create(
        username=CENTRAL_USERNAME, defaults={"first_name": "Bench", "last_name": "Central", "is_active": True}
    )
    if not Membership.objects.filter(user=central, unit=desk, role=Role.AGENT, is_active=True).exists():
        membership_grant(central, desk, Role.AGENT)
    # A school with a teacher (school staff) and a head (the school's desk agent).
    schools = OrgUnit.objects.filter(kind=UnitKind.SCHOOL, is_active=True)
    if school:
        schools = schools.filter(code=school)
    heads = Membership.objects.filter(role=Role.AGENT, is_active=True, user__is_active=True)
    staff = Membership.objects.filter(role=Role.STAFF, is_active=True, user__is_active=True)
    school_unit = (
        schools.filter(pk__in=heads.values("unit_id"))
        .filter(pk__in=staff.values("unit_id"))
        .order_by("code")
        .first()
    )
    if school_unit is None:
        raise LoadModeError("No school with a head and a teacher: run musanada generate (or bench) first.")
    teacher = staff.filter(unit=school_unit).order_by("user__username").first().user
    head = heads.filter(unit=school_unit).order_by("user__username").first().user
    ticket = (
        Ticket.objects.filter(desk=desk, status=Status.OPEN).order_by("-id").first()
        or Ticket.objects.filter(desk=desk).order_by("-id").first()
        or Ticket.objects.filter(holdings__desk=desk).order_by("-id").first()
    )
    if ticket is None:
        raise LoadModeError(f"No ticket at {desk_code}: load tickets first (musanada bench --tickets N).")
    password = secrets.token_urlsafe(24)
    central.set_password(password)
    central.save(update_fields=["password"])
    setup = Setup(central, desk, teacher, head, school_unit, category, ticket.reference, password=password)
    for user in (teacher, head):
        setup.tokens[user.username] = api_services.token_create(user, name="musanada bench load")
    return setup


def release(setup: Setup) -> None:
    """Revoke the run's tokens and forget the central agent's password."""
    for token, _value in setup.tokens.values():
        api_services.token_revoke(token.user, token.pk)
    setup.central.set_unusable_password()
    setup.central.save(update_fields=["password"])


def _cookies(response) -> dict:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(base: str, username: str, password: str) -> str:
    """Sign in through the sign-in form as a browser does; returns the Cookie header of the session.

    Cookies are kept by hand: the product marks them Secure, and this client speaks plain HTTP to a server
    that production puts behind TLS."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(base + "/login/", timeout=60) as response:
        page = response.read().decode()
        cookies = _cookies(response)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found or "csrftoken" not in cookies:
        raise LoadModeError("The sign-in page has no CSRF token: is this Musanada?")
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": found.group(1), "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(
        base + "/login/",
        data=data,
        headers={"Referer": base + "/login/", "Cookie": f"csrftoken={cookies['csrftoken']}"},
    )
    try:
        with opener.open(request, timeout=60) as response:
            cookies.update(_cookies(response))
    except urllib.error.HTTPError as error:  # the redirect after a successful sign-in, not followed
        cookies.update(_cookies(error))
    if not cookies.get("sessionid"):
        raise LoadModeError(f"Signing in as {username} failed (no session cookie).")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _get(base: str, path: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# Driving wrk ---------------------------------------------------------------------------------------------


def _settle(idle_share: float, longest: float, base: str | None = None) -> None:
    """Wait until the machine is mostly idle again and the server answers its ceiling page at once (the
    requests a run left behind are done: a sync worker finishes a request its client gave up on), `longest`
    seconds at most."""
    time.sleep(1)
    deadline = time.monotonic() + longest
    while base and time.monotonic() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(OSError):
            _get(base, "/ceiling/", {})
        if time.perf_counter() - started < 0.1:
            break
        time.sleep(1)

    def sample():
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return values[3] + values[4], sum(values[:8])

    try:
        idle, total = sample()
        while time.monotonic() < deadline:
            time.sleep(1)
            idle2, total2 = sample()
            if total2 > total and (idle2 - idle) / (total2 - total) >= idle_share:
                return
            idle, total = idle2, total2
    except OSError:
        return


class _Driver:
    def __init__(self, report: Report, workdir: Path, wrk: str, settle_idle: float, settle_max: float):
        self.report = report
        self.workdir = workdir
        self.wrk = wrk
        self.settle_idle = settle_idle
        self.settle_max = settle_max

    def wrk_run(self, name: str, seconds: int, env: dict) -> dict:
        out = self.workdir / f"{name}.json"
        out.unlink(missing_ok=True)
        command = [
            self.wrk,
            "-t1",
            f"-c{self.report.clients}",
            f"-d{seconds}s",
            "--timeout",
            "600s",
            "-s",
            str(SCRIPT),
            self.report.url,
        ]
        completed = subprocess.run(
            command, env={**os.environ, **env, "BENCH_OUT": str(out)}, capture_output=True, text=True
        )
        if completed.returncode != 0 or not out.exists():
            raise LoadModeError(
                f"wrk failed for {name}: {completed.stderr.strip() or completed.stdout.strip()}"
            )
        return json.loads(out.read_text())

    def measure(self, name: str, label: str, env: dict, *, measured: bool = True, after_warmup=None) -> Run:
        """Warm up, then the measured run; `after_warmup(figures)` may change the environment in between."""
        warm = {"sent": 0}
        if self.report.warmup:
            warm = self.wrk_run(f"{name}.warmup", self.report.warmup, env)
            if after_warmup is not None:
                env = {**env, **after_warmup(warm)}
        figures = self.wrk_run(name, self.report.seconds, env)
        _settle(self.settle_idle, self.settle_max, self.report.url)
        run = Run(
            name,
            label,
            requests=figures["requests"],
            seconds=figures["seconds"],
            rps=figures["rps"],
            p50=figures["p50_ms"],
            p95=figures["p95_ms"],
            p99=figures["p99_ms"],
            max=figures["max_ms"],
            codes={str(code): n for code, n in figures["codes"].items()},
            errors={kind: n for kind, n in figures["errors"].items() if n},
            sent=figures["sent"],
            warmup_sent=warm["sent"],
        )
        if measured:
            self.report.runs.append(run)
        return run


def _bodies(path: Path, count: int, make) -> Path:
    path.write_text("".join(json.dumps(make(n), ensure_ascii=False) + "\n" for n in range(count)))
    return path


def run(
    url: str,
    *,
    clients: int = 8,
    seconds: int = 20,
    warmup: int = 5,
    desk: str = "MEN-MASSAR",
    category: str = "massar-grades",
    school: str | None = None,
    only: list[str] | None = None,
    drain: bool = True,
    settle_idle: float = 0.8,
    settle_max: float = 20.0,
    progress=None,
) -> Report:
    """Measure the operations against the server at `url`; see the module's docstring."""
    say = progress or (lambda message: None)
    wrk = wrk_path()
    if wrk is None:
        raise LoadModeError("wrk is not installed: apt-get install wrk (Debian, Ubuntu).")
    if not SCRIPT.exists():
        raise LoadModeError(f"The wrk script {SCRIPT} is missing from this installation.")
    base = url.rstrip("/")
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    report = Report(base, clients, seconds, warmup, version)
    wanted = set(
        only or ["ceiling", "inbox", "api_list", "ticket", "search", "dashboard", "file", "escalate"]
    )
    status, _body = _get(base, "/ceiling/", {})
    if status != 200:
        raise LoadModeError(
            f"{base}/ceiling/ answers {status}: "
            "serve with DJANGO_SETTINGS_MODULE=musanada.demo.benchsettings."
        )
    setup = prepare(desk, category, school)
    try:
        setup.cookie = sign_in(base, setup.central.username, setup.password)
        teacher_token = setup.tokens[setup.teacher.username][1]
        head_token = setup.tokens[setup.head.username][1]
        central_token = api_services.token_create(setup.central, name="musanada bench load")
        setup.tokens[setup.central.username] = central_token
        web = {"BENCH_COOKIE": setup.cookie}
        reads = [
            ("ceiling", "ceiling /ceiling/ (no database)", "/ceiling/", {}),
            ("inbox", "inbox / (default tab)", "/", web),
            (
                "api_list",
                f"API list ?desk={desk}&limit=25",
                f"/api/v1/tickets?desk={desk}&limit=25",
                {"BENCH_AUTH": f"Bearer {central_token[1]}"},
            ),
            ("ticket", f"ticket page /t/{setup.reference}/", f"/t/{setup.reference}/", web),
            ("search", f"search /?tab=all&q={SEARCH_WORD}", f"/?tab=all&q={SEARCH_WORD}", web),
            ("dashboard", "dashboard /reports/", "/reports/", web),
        ]
        workdir = Path(tempfile.mkdtemp(prefix="musanada-bench-"))
        driver = _Driver(report, workdir, wrk, settle_idle, settle_max)
        say(
            f"{report.wrk}, -t1 -c{clients}, {warmup} s warm-up + {seconds} s measured per operation; "
            f"central agent {setup.central.username} at {desk}; teacher {setup.teacher.username} and head "
            f"{setup.head.username} of {setup.school.code}"
        )
        for name, label, path, env in reads:
            if name not in wanted:
                continue
            headers = {}
            if env.get("BENCH_COOKIE"):
                headers["Cookie"] = env["BENCH_COOKIE"]
            if env.get("BENCH_AUTH"):
                headers["Authorization"] = env["BENCH_AUTH"]
            started = time.perf_counter()
            status, body = _get(base, path, headers)
            if status != 200:
                raise LoadModeError(f"{label}: HTTP {status} before the run: {body[:300]!r}")
            alone = 1000 * (time.perf_counter() - started)
            say(f"  {name}: HTTP 200, {len(body)} bytes, {alone:.0f} ms")
            result = driver.measure(name, label, {"BENCH_MODE": "get", "BENCH_PATH": path, **env})
            say(f"  {name}: {result.rps:.1f} req/s")
            if result.requests == 0:
                report.notes.append(
                    f"{name}: no request completed within the measured run; one request alone, just before, "
                    f"took {alone / 1000:.1f} s"
                )
        if wanted & {"file", "escalate"}:
            _writes(driver, setup, workdir, teacher_token, head_token, wanted, say)
        if "ceiling" in wanted:
            end = driver.measure(
                "ceiling_end",
                "ceiling again, at the end",
                {"BENCH_MODE": "get", "BENCH_PATH": "/ceiling/"},
                measured=False,
            )
            report.notes.append(f"ceiling at the end of the run: {end.rps:.1f} req/s (drift check)")
        if drain and wanted & {"file", "escalate"}:
            _drain(report, say)
    finally:
        release(setup)
    return report


def _writes(driver: _Driver, setup: Setup, workdir: Path, teacher_token: str, head_token: str, wanted, say):
    rng = random.Random(20261)

    def filing(n: int) -> dict:
        req = bench_text.request(rng, setup.category)
        return {
            "category": setup.category,
            "priority": "normal",
            "subject": req.subject,
            "description": req.description,
        }

    bodies = _bodies(workdir / "file.jsonl", 2000, filing)
    create_env = {
        "BENCH_MODE": "post",
        "BENCH_PATH": "/api/v1/tickets",
        "BENCH_AUTH": f"Bearer {teacher_token}",
        "BENCH_BODIES": str(bodies),
    }
    before = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if "file" in wanted or "escalate" in wanted:
        result = driver.measure(
            "file", "file a request POST /api/v1/tickets (teacher)", create_env, measured="file" in wanted
        )
        say(f"  file: {result.rps:.1f} req/s")
    if "escalate" not in wanted:
        return
    # More filings, unmeasured, so that the escalations do not run out of tickets just filed.
    driver.wrk_run("file.more", driver.report.warmup + driver.report.seconds, create_env)
    pool = list(
        Ticket.objects.filter(id__gt=before, requester=setup.teacher, desk=setup.school, status=Status.NEW)
        .order_by("id")
        .values_list("reference", flat=True)
    )
    if not pool:
        raise LoadModeError("The filing runs left no ticket at the school's desk to escalate.")
    paths = workdir / "escalate.paths"
    paths.write_text("".join(f"/api/v1/tickets/{reference}/escalate\n" for reference in pool))

    def rest_of_pool(warm: dict) -> dict:
        # The warm-up escalated the first tickets of the pool (and maybe those it had in flight at its end):
        # the measured run starts after them.
        rest = workdir / "escalate.measured.paths"
        rest.write_text(
            "".join(f"/api/v1/tickets/{reference}/escalate\n" for reference in pool[warm["sent"] :])
        )
        return {"BENCH_PATHS": str(rest)}

    notes = _bodies(
        workdir / "escalate.jsonl",
        500,
        lambda n: {"note": bench_text.desk_text(rng, bench_text.FR if n % 2 else bench_text.AR, "note")},
    )
    escalate_env = {
        "BENCH_MODE": "post",
        "BENCH_AUTH": f"Bearer {head_token}",
        "BENCH_BODIES": str(notes),
        "BENCH_PATHS": str(paths),
    }
    result = driver.measure(
        "escalate",
        "escalate POST /api/v1/tickets/REF/escalate (head)",
        escalate_env,
        after_warmup=rest_of_pool,
    )
    enough = result.warmup_sent + result.sent <= len(pool)
    driver.report.notes.append(
        f"escalation pool: {len(pool)} tickets just filed at {setup.school.code} by the teacher; the warm-up "
        f"escalated {result.warmup_sent}, the measured run {result.sent}"
        + ("" if enough else ": the pool RAN OUT, the last requests found tickets already escalated")
    )


def _database_url() -> str:
    """The URL of the database this process uses (the worker process must drain the same queue)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = urllib.parse.quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{'@' if credentials else ''}{host}{port}/{db['NAME']}"


def _drain(report: Report, say) -> None:
    depth = runner.queue_depth()
    report.jobs_queued = depth["due"]
    say(
        f"jobs due after the write runs: {depth['due']} "
        f"(waiting {depth['waiting']}, running {depth['running']})"
    )
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "musanada", "run-jobs", "--until-empty"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE
            or os.environ.get("DJANGO_SETTINGS_MODULE", "musanada.config.settings"),
            "DATABASE_URL": _database_url(),
        },
    )
    report.jobs_seconds = time.monotonic() - started
    said = (completed.stdout.strip() or completed.stderr.strip()).splitlines()
    report.jobs_drain = said[-1] if said else f"exit status {completed.returncode}"
    if completed.returncode != 0:
        report.jobs_drain = f"FAILED (exit status {completed.returncode}): {report.jobs_drain}"


# The report --------------------------------------------------------------------------------------------


def format_report(report: Report) -> str:
    ceiling = report.run("ceiling")
    lines = [
        f"Musanada load benchmark: {report.url}, {report.clients} clients, {report.warmup} s warm-up + "
        f"{report.seconds} s measured per operation ({report.wrk}, one thread)",
        "",
        f"{'operation':<52} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  {'ceiling':>7}  codes",
    ]
    for run_ in report.runs:
        share = f"{run_.rps / ceiling.rps:7.3f}" if ceiling and ceiling.rps else "      -"
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(run_.codes.items()))
        errors = ", ".join(f"{kind} errors: {n}" for kind, n in run_.errors.items())
        lines.append(
            f"{run_.label:<52} {run_.rps:9.1f} {run_.p50:8.1f} {run_.p95:8.1f} {run_.p99:8.1f}  {share}  "
            f"{codes}{'; ' + errors if errors else ''}"
        )
    lines.append("")
    lines.extend(report.notes)
    if report.jobs_queued is not None:
        lines.append(
            f"jobs queued by the write runs: {report.jobs_queued}; one worker process "
            f"(run-jobs --until-empty) took {report.jobs_seconds:.1f} s: {report.jobs_drain}"
        )
    return "\n".join(lines)
