"""`./desk run` as real processes: its Celery worker stops whenever the server stops.

Each test starts `./desk run` in a session of its own (as a terminal would), on SQLite and the
file-system broker in a temporary folder, with the virtualenv that runs these tests, then stops
the server one way or another and checks that nothing of the session is left running.

The first test starts from an empty folder, as a newcomer's first run does (migrations and
demo data: about 45 s here). The others start, as a returning user's run does, from a copy of
a folder that `./desk run`'s own steps have set up once for the whole suite (``prepared_var``):
their subject is how the run stops, and each fresh setup cost them the same 45 s again.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DESK = Path(__file__).resolve().parents[2] / "desk"
VENV = Path(sys.executable).parent.parent
START_TIMEOUT = 180  # seconds until the admin answers (migrations, demo data, worker check)
STOP_TIMEOUT = 40  # seconds for `./desk run` to end once the server stopped (worker: 20 s at most)
GONE_TIMEOUT = 20  # seconds for the processes of the session to be gone after that


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, session, …)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    """A zombie counts as dead: it has stopped, only its exit status waits to be read."""
    fields = proc_stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def living_in_session(session: int) -> list[int]:
    pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    return [
        pid
        for pid in pids
        if (fields := proc_stat(pid)) and int(fields[3]) == session and alive(pid)
    ]


def as_in_a_terminal() -> None:
    """The signals as a terminal's shell leaves them to `./desk run`: none ignored, none
    blocked. A suite started in the background of a shell without job control (`.ci/run &`)
    has SIGINT ignored, which its children inherit, and bash cannot trap a signal ignored when
    it starts: Ctrl-C then reached the worker, never the script (a `.ci/run` started so failed
    the Ctrl-C tests, 40 s waited)."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def desk_environment(var: Path) -> dict[str, str]:
    """What a user's shell gives `./desk run`: no test settings, no services, its own folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest's test settings: not what a user runs
    env.update(PROJECTDESK_VAR_DIR=str(var), DEBUG="1", VENV=str(VENV))
    return env


def desk_steps() -> list[list[str]]:
    """The `manage.py` commands `./desk run` runs before it starts anything, read from the
    script itself (so that the prepared folder is what the script would leave)."""
    body = DESK.read_text().split("\nrun() {", 1)[1].split("\n}", 1)[0]
    steps = [
        line.split("manage.py", 1)[1].split()
        for line in body.splitlines()
        if line.strip().startswith('"$PY" manage.py')
    ]
    steps = [s for s in steps if s and s[0] != "desk_runserver" and s[0] != "check_worker"]
    assert [s[0] for s in steps][:2] == ["migrate", "seed_demo"], steps
    return steps


class DeskRun:
    """One `./desk run`, its output in a file, and the Celery worker pids it was seen with."""

    def __init__(self, tmp_path: Path, port: int, prepared: Path | None = None):
        self.port = port
        self.var = tmp_path / "var"
        if prepared is None:
            self.var.mkdir()
        else:
            shutil.copytree(prepared, self.var)
        self.pidfile = self.var / "celery-worker.pid"
        self.output_file = tmp_path / "desk-output.txt"
        self.worker_pid: int | None = None  # the worker `./desk run` started (from its pidfile)
        self.worker_pids: set[int] = set()  # that and any other celery process (beat)
        self.pidfile_seen = False
        env = desk_environment(self.var)
        env.update(PORT=str(port))
        with self.output_file.open("wb") as output:
            self.process = subprocess.Popen(
                ["bash", str(DESK), "run"],
                cwd=DESK.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=as_in_a_terminal,
            )
        self.session = self.process.pid

    def output(self) -> str:
        text = self.output_file.read_text(errors="replace")
        log = self.var / "celery.log"
        if log.exists():
            text += "\n--- celery.log (end) ---\n" + log.read_text(errors="replace")[-3000:]
        return f"\n--- ./desk run output ---\n{text}"

    def note_worker(self) -> None:
        """Remember the worker from its pidfile, and every celery process of the session."""
        try:
            self.worker_pid = int(self.pidfile.read_text().strip())
            self.pidfile_seen = True
        except (OSError, ValueError):
            pass
        for pid in living_in_session(self.session):
            if "celery" in command_line(pid):
                self.worker_pids.add(pid)
                fields = proc_stat(pid)
                if self.worker_pid is None and fields and int(fields[1]) == self.session:
                    self.worker_pid = pid  # no pidfile (yet): the celery child of `./desk run`
        if self.worker_pid is not None:
            self.worker_pids.add(self.worker_pid)

    def answers_http(self) -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/admin/login/", timeout=2)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.note_worker()
            if self.process.poll() is not None:
                pytest.fail(
                    f"./desk run ended before serving ({self.process.returncode})" + self.output()
                )
            if self.answers_http():
                self.note_worker()
                return
            time.sleep(0.2)
        pytest.fail(
            f"./desk run did not serve on port {self.port} in {START_TIMEOUT} s" + self.output()
        )

    def wait_for_exit(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.note_worker()
            time.sleep(0.1)
        if self.process.poll() is None:
            pytest.fail(
                f"./desk run still runs {timeout:.0f} s after its server stopped" + self.output()
            )
        return self.process.returncode

    def assert_nothing_left(self) -> None:
        """`./desk run` waits for its worker; the rest of the session stops shortly after."""
        assert self.worker_pid is not None, "no Celery worker was seen" + self.output()
        assert not alive(self.worker_pid), (
            f"./desk run ended while its Celery worker (pid {self.worker_pid}) still ran"
            + self.output()
        )
        deadline = time.monotonic() + GONE_TIMEOUT
        while time.monotonic() < deadline:
            left = {pid for pid in self.worker_pids if alive(pid)}
            left |= set(living_in_session(self.session))
            if not left:
                break
            time.sleep(0.2)
        workers = sorted(pid for pid in self.worker_pids if alive(pid))
        assert not workers, (
            f"the Celery worker is still running after ./desk run ended: pids {workers}"
            + self.output()
        )
        others = {pid: command_line(pid) for pid in living_in_session(self.session)}
        assert not others, f"processes of ./desk run are still running: {others}" + self.output()
        assert self.pidfile_seen, f"the worker wrote no pidfile at {self.pidfile}" + self.output()

    def kill_everything(self) -> None:
        for pid in {*self.worker_pids, *living_in_session(self.session)}:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.killpg(self.session, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture(scope="session")
def prepared_var(tmp_path_factory, worker_id) -> Path:
    """A var folder as `./desk run` leaves it (database migrated, demo data seeded), made once
    for all the suite's processes: the first pytest-xdist worker to get here makes it (under a
    lock in the run's shared temporary folder), the others wait and use it."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # shared by the run's workers
    var, ready = root / "desk-run-prepared-var", root / "desk-run-prepared-var.ready"
    with (root / "desk-run-prepared-var.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(var, ignore_errors=True)
            var.mkdir()
            for step in desk_steps():
                done = subprocess.run(
                    [str(VENV / "bin" / "python"), "manage.py", *step],
                    cwd=DESK.parent,
                    env=desk_environment(var),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=START_TIMEOUT,
                )
                assert done.returncode == 0, f"manage.py {step}: {done.stdout}{done.stderr}"
            ready.touch()
    return var


@pytest.fixture
def start_desk(tmp_path: Path, request) -> Iterator:
    if not sys.platform.startswith("linux"):
        pytest.skip("watches processes through /proc")
    runs: list[DeskRun] = []

    def start(port: int | None = None, *, fresh: bool = False) -> DeskRun:
        prepared = None if fresh else request.getfixturevalue("prepared_var")
        run = DeskRun(tmp_path, port or free_port(), prepared)
        runs.append(run)
        return run

    try:
        yield start
    finally:
        for run in runs:
            run.kill_everything()


def test_ctrl_c_stops_the_server_and_the_worker_and_exits_0(start_desk):
    desk = start_desk(fresh=True)  # a newcomer's first run: an empty folder
    desk.wait_until_serving()
    assert desk.worker_pid, "no Celery worker was seen while ./desk run served" + desk.output()
    # What a newcomer reads first is in Chinese, like the pages (issue 20).
    banner = desk.output()
    assert "项目全代办服务台正在启动" in banner and "演示账号" in banner, banner
    assert "Demo logins" not in banner and "AXES" not in banner, banner

    os.killpg(desk.session, signal.SIGINT)  # what a terminal's Ctrl-C does

    status = desk.wait_for_exit(STOP_TIMEOUT)
    assert status == 0, f"Ctrl-C ended ./desk run with status {status}, not 0" + desk.output()
    desk.assert_nothing_left()
    assert "unbound variable" not in desk.output(), desk.output()


def test_a_taken_port_ends_the_run_with_an_error_and_the_worker(start_desk):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        desk = start_desk(port=taken.getsockname()[1])

        status = desk.wait_for_exit(START_TIMEOUT)

    assert status != 0, "./desk run exited 0 though its port was taken" + desk.output()
    desk.assert_nothing_left()
    assert "unbound variable" not in desk.output(), desk.output()


def runserver_processes(desk: DeskRun) -> tuple[int, int]:
    """The runserver `./desk run` started (the autoreloader) and its child serving the port."""
    children = {pid: proc_stat(pid) for pid in living_in_session(desk.session)}
    reloaders = [
        pid
        for pid, fields in children.items()
        if fields and int(fields[1]) == desk.session and "runserver" in command_line(pid)
    ]
    assert len(reloaders) == 1, f"runserver processes of ./desk run: {reloaders}" + desk.output()
    servers = [pid for pid, fields in children.items() if fields and int(fields[1]) == reloaders[0]]
    assert len(servers) == 1, f"children of runserver: {servers}" + desk.output()
    return reloaders[0], servers[0]


@pytest.mark.parametrize("which", ["autoreloader", "server"])
def test_the_worker_stops_when_runserver_dies_by_itself(start_desk, which: str):
    desk = start_desk()
    desk.wait_until_serving()
    reloader, server = runserver_processes(desk)

    os.kill(reloader if which == "autoreloader" else server, signal.SIGTERM)

    status = desk.wait_for_exit(STOP_TIMEOUT)
    assert status != 0, f"./desk run exited 0 though its server died ({which})" + desk.output()
    desk.assert_nothing_left()
    assert "unbound variable" not in desk.output(), desk.output()


def test_a_term_sent_to_desk_alone_stops_everything_at_once(start_desk):
    """`kill <pid of ./desk run>` (a service manager, a user in another terminal) reaches the
    script only: it stops the server and the worker then, not when the server next exits."""
    desk = start_desk()
    desk.wait_until_serving()

    os.kill(desk.process.pid, signal.SIGTERM)

    status = desk.wait_for_exit(STOP_TIMEOUT)
    assert status == 143, f"TERM ended ./desk run with status {status}, not 143" + desk.output()
    desk.assert_nothing_left()


def test_a_server_that_does_not_stop_is_killed_and_the_worker_stopped_still(start_desk):
    """A runserver that hangs kept `./desk run` waiting for it without end after a Ctrl-C, and
    its worker running. A server stopped cold (SIGSTOP: it cannot act on the TERM) stands for
    it."""
    desk = start_desk()
    desk.wait_until_serving()
    for pid in runserver_processes(desk):
        os.kill(pid, signal.SIGSTOP)

    os.killpg(desk.session, signal.SIGINT)

    status = desk.wait_for_exit(STOP_TIMEOUT)
    assert status == 0, f"Ctrl-C ended ./desk run with status {status}, not 0" + desk.output()
    assert "网页服务 10 秒内未停止：已强制结束" in desk.output(), desk.output()
    desk.assert_nothing_left()
