"""profiles/slurm against a real one-node SLURM on this machine (`make test-cluster`).

The module fixture installs Debian's slurm-wlm, munge, slurmdbd and mariadb-server if they
are missing, writes slurm.conf and slurmdbd.conf into a temporary folder (own ports, own
state, SLURM_CONF points at it; a copy of slurm.conf goes to /etc/slurm/ for the jobs'
own srun, and is removed again), starts munged (unless one answers already), MariaDB,
slurmdbd, slurmctld and slurmd in the foreground, waits for `sinfo` to show the node idle,
and at the end stops each daemon it started, by PID. See ../shared/notes/slurm.md for why
each setting is there. Needs root; about 4-5 minutes on 2 cores.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, FINAL_MKV, REPO, SPEAKERS_OFF, env, read_manifest, run_snakemake
from subsmith import demo
from subsmith.harness import status
from subsmith.harness.stages import STAGE_NAMES
from subsmith.media import probe as media

pytestmark = pytest.mark.cluster

PACKAGES = ("slurm-wlm", "munge", "slurmdbd", "mariadb-server")
PARTITION = "subsmith"
CLUSTER = "subsmith"
MOVIES = ("Alpha", "Beta")
DB_PASS = "subsmith-test"
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# written by subsmith's tests/test_cluster.py; removed when the test ends\n"
# A whole workflow run through SLURM: about 10 jobs of 3-10 s each on 2 cores.
RUN_LIMIT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(pred, timeout: float, what: str, every: float = 0.2) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def ok(*cmd: str, **kw) -> bool:
    return subprocess.run(cmd, capture_output=True, **kw).returncode == 0


def out(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def install_packages() -> None:
    missing = [p for p in PACKAGES if not ok("dpkg", "-s", p)]
    if not missing:
        return
    if os.geteuid() != 0:
        pytest.skip(f"needs root to install {' '.join(missing)}")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=apt_env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=apt_env,
        capture_output=True,
    )


def munge_works() -> bool:
    cred = subprocess.run(["munge", "-n"], capture_output=True)
    return cred.returncode == 0 and ok("unmunge", input=cred.stdout)


def mem_mb() -> int:
    with open("/proc/meminfo") as f:
        info = {line.split(":")[0]: int(line.split()[1]) for line in f}
    return int(info["MemAvailable"] / 1024 * 0.8)


def slurm_conf(d: Path, host: str, ports: dict[str, int]) -> str:
    return f"""\
ClusterName={CLUSTER}
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ports["slurmctld"]}
SlurmdPort={ports["slurmd"]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
MpiDefault=none
SwitchType=switch/none
# No systemd, no cgroups here.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
# sacct (ReqMem, Timelimit, Comment) needs slurmdbd + MariaDB.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={ports["slurmdbd"]}
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without it a job with no --mem takes the whole node.
DefMemPerCPU=1000
# squeue still lists a finished job for 5 minutes: the plugin's squeue status polling needs it.
MinJobAge=300
KillWait=5
ReturnToService=2
InactiveLimit=0
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={mem_mb()} State=UNKNOWN
PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def slurmdbd_conf(d: Path, host: str, ports: dict[str, int]) -> str:
    return f"""\
AuthType=auth/munge
DbdHost={host}
DbdAddr=127.0.0.1
DbdPort={ports["slurmdbd"]}
SlurmUser=root
PidFile={d}/slurmdbd.pid
LogFile={d}/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={ports["mysql"]}
StorageUser=slurm
StoragePass={DB_PASS}
StorageLoc=slurm_acct_db
"""


class Cluster:
    """The daemons this test started (name -> Popen), stopped in reverse order."""

    def __init__(self, d: Path):
        self.dir = d
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, cmd: list[str], **kw) -> subprocess.Popen:
        with open(self.dir / f"{name}.out", "wb") as log:
            p = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw
            )
        self.procs.append((name, p))
        return p

    def check_alive(self) -> None:
        for name, p in self.procs:
            if p.poll() is not None:
                tail = (self.dir / f"{name}.out").read_text(errors="replace")[-2000:]
                raise AssertionError(f"{name} exited with {p.returncode}: {tail}")

    def stop(self) -> None:
        """SIGTERM each daemon by its PID (newest first), SIGKILL after 15 s."""
        for _name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the one-node SLURM needs root")
    install_packages()
    d = tmp_path_factory.mktemp("slurm")
    os.chmod(d, 0o755)
    host = socket.gethostname().split(".")[0]
    ports = {k: free_port() for k in ("slurmctld", "slurmd", "slurmdbd", "mysql")}
    for sub in ("state", "spool", "mysql"):
        (d / sub).mkdir()
    conf = MARK + slurm_conf(d, host, ports)
    (d / "slurm.conf").write_text(conf)
    # Inside a job, snakemake's jobstep plugin starts the stage with `srun` in an
    # environment stripped of SLURM_* variables (SLURM_CONF included): srun then only
    # finds the compiled-in /etc/slurm/slurm.conf. So the config goes there as well.
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text().startswith(MARK):
        pytest.skip(f"{SYSTEM_CONF} belongs to another SLURM; not replacing it")
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SYSTEM_CONF.write_text(conf)
    dbd = d / "slurmdbd.conf"
    dbd.write_text(slurmdbd_conf(d, host, ports))
    dbd.chmod(0o600)
    conf_env = {"SLURM_CONF": str(d / "slurm.conf")}
    c = Cluster(d)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SLURM_CONF", conf_env["SLURM_CONF"])
        try:
            # munge: the system's own socket and key, shared by every SLURM on the machine.
            if not munge_works():
                Path("/run/munge").mkdir(mode=0o755, exist_ok=True)
                shutil.chown("/run/munge", "munge", "munge")
                if not Path("/etc/munge/munge.key").exists():
                    subprocess.run(["mungekey", "--create"], check=True, user="munge")
                c.start("munged", ["munged", "--foreground"], user="munge", group="munge")
                wait_for(munge_works, 20, "munged")
            # MariaDB in the temp folder, TCP on 127.0.0.1 only.
            sock = str(d / "mysql.sock")
            subprocess.run(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    "--user=root",
                    f"--datadir={d / 'mysql'}",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                ],
                check=True,
                capture_output=True,
            )
            c.start(
                "mariadb",
                [
                    "mariadbd",
                    "--no-defaults",
                    "--user=root",
                    f"--datadir={d / 'mysql'}",
                    f"--socket={sock}",
                    f"--port={ports['mysql']}",
                    "--bind-address=127.0.0.1",
                    f"--pid-file={d / 'mariadb.pid'}",
                    "--innodb-buffer-pool-size=64M",
                ],
            )
            sql = ["mariadb", "--no-defaults", f"--socket={sock}", "-u", "root", "-e"]
            wait_for(lambda: c.check_alive() or ok(*sql, "SELECT 1"), 60, "mariadb")
            grants = "".join(
                f"CREATE USER 'slurm'@'{h}' IDENTIFIED BY '{DB_PASS}';"
                f"GRANT ALL ON slurm_acct_db.* TO 'slurm'@'{h}';"
                for h in ("localhost", "127.0.0.1")
            )
            subprocess.run([*sql, grants], check=True, capture_output=True)
            c.start("slurmdbd", ["slurmdbd", "-D"])
            wait_for(lambda: c.check_alive() or port_open(ports["slurmdbd"]), 60, "slurmdbd")
            c.start("slurmctld", ["slurmctld", "-D", "-i", "-f", conf_env["SLURM_CONF"]])
            wait_for(lambda: c.check_alive() or port_open(ports["slurmctld"]), 60, "slurmctld")
            c.start("slurmd", ["slurmd", "-D", "-f", conf_env["SLURM_CONF"]])

            def idle() -> bool:
                c.check_alive()
                r = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
                return r.stdout.strip() == "idle"

            wait_for(idle, 60, "sinfo to show the node idle")
            yield c
        finally:
            subprocess.run(["scancel", "--full", "-u", "root"], capture_output=True)
            c.stop()
            if SYSTEM_CONF.exists() and SYSTEM_CONF.read_text() == conf:
                SYSTEM_CONF.unlink()


# ---------------------------------------------------------------- workflow runs


def write_config(work: Path) -> Path:
    """The node has os.cpu_count() CPUs: no job may ask for more (asr asks for 4)."""
    cpus = os.cpu_count() or 1
    cfg = work / "cluster-test.yaml"
    cfg.write_text(f"threads:\n  asr: {min(4, cpus)}\n  silero_vad: {min(2, cpus)}\n")
    return cfg


def slurm_cmd(work: Path, *args: str, limit: int = RUN_LIMIT) -> list[str]:
    # SIGTERM makes snakemake wait for its jobs; -k makes sure it ends.
    return [
        "timeout",
        "-k",
        "15",
        str(limit),
        str(BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(work),
        "--profile",
        str(REPO / "profiles" / "slurm"),
        "--default-resources",
        f"slurm_partition={PARTITION}",
        # The same configuration as the local runs (conftest.snakemake_cmd): diarization
        # off, final.mkv, then this test's own file (later files win).
        "--configfile",
        SPEAKERS_OFF,
        FINAL_MKV,
        str(work / "cluster-test.yaml"),
        *args,
    ]


def run_slurm(work: Path, *args: str, limit: int = RUN_LIMIT) -> subprocess.CompletedProcess:
    return subprocess.run(
        slurm_cmd(work, *args, limit=limit),
        cwd=work,
        env=env(),
        capture_output=True,
        text=True,
    )


def sacct_rows() -> list[dict[str, str]]:
    fields = [
        "JobID",
        "JobName",
        "Comment",
        "ReqMem",
        "Timelimit",
        "AllocCPUS",
        "State",
        "ExitCode",
    ]
    text = out("sacct", "-X", "-n", "-P", "-a", "-S", "now-1days", f"--format={','.join(fields)}")
    return [dict(zip(fields, line.split("|"), strict=True)) for line in text.splitlines()]


def hhmmss(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def streams(mkv: Path) -> list[tuple[str, str]]:
    return [(s["codec_type"], s["codec_name"]) for s in media.probe(mkv)["streams"]]


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory, short_dialogue):
    """The same two short movies, once locally (default profile), once through SLURM."""
    audio, _ = short_dialogue
    local = tmp_path_factory.mktemp("local")
    slurm = tmp_path_factory.mktemp("on-slurm")
    for work in (local, slurm):
        write_config(work)
    for movie in MOVIES:
        demo.make_movie(local / "in" / f"{movie}.mkv", [{"audio": audio, "language": "eng"}])
        (slurm / "in").mkdir(exist_ok=True)
        shutil.copy(local / "in" / f"{movie}.mkv", slurm / "in" / f"{movie}.mkv")
    t0 = time.monotonic()
    lp = run_snakemake(local, "--configfile", str(local / "cluster-test.yaml"))
    t1 = time.monotonic()
    sp = run_slurm(slurm)
    t2 = time.monotonic()
    return {
        "local": local,
        "slurm": slurm,
        "lp": lp,
        "sp": sp,
        "t_local": t1 - t0,
        "t_slurm": t2 - t1,
    }


def test_slurm_run_matches_the_local_run(runs):
    lp, sp = runs["lp"], runs["sp"]
    assert lp.returncode == 0, lp.stderr[-3000:]
    assert sp.returncode == 0, sp.stderr[-5000:]
    log = sp.stdout + sp.stderr
    assert "SLURM run ID" in log
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", log)
    assert len(submitted) == len(MOVIES) * len(STAGE_NAMES), log[-3000:]
    for movie in MOVIES:
        loc, clu = (runs[k] / "out" / movie for k in ("local", "slurm"))
        assert streams(clu / "final.mkv") == streams(loc / "final.mkv")
        assert streams(clu / "final.mkv")[-1][0] == "subtitle"
        srt = f"{movie}.en.srt"
        assert (clu / srt).read_text() == (loc / srt).read_text()
        assert "captain" in (clu / srt).read_text().lower()
        ml, mc = read_manifest(runs["local"], movie), read_manifest(runs["slurm"], movie)
        assert mc["pipeline"]["status"] == ml["pipeline"]["status"] == "completed"
        assert mc["pipeline"]["completed_stages"] == ml["pipeline"]["completed_stages"]
        assert mc["pipeline"]["completed_stages"] == list(STAGE_NAMES)
        for name, step in mc["pipeline"]["steps"].items():
            expected = "skipped" if name in SKIPPED else "success"
            assert step["status"] == expected, name
            # a stage that skips at once (no metadata to read) may round to 0.0 s
            assert step["duration"] > 0 or expected == "skipped", name
            assert step["runs"] == 1, name
        # Each stage ran inside its SLURM job, which wrote its own status file.
        for stage in STAGE_NAMES:
            st = status.read_status(clu / ".status" / f"{stage}.json")
            assert st["status"] == ("skipped" if stage in SKIPPED else "success"), stage


# Recorded skipped in these runs: no TMDB key and no .nfo, so no metadata and no names to
# bias or correct; pyannote_vad and sound_events are off by default and the test runs turn
# diarization off (tests/speakers_off.yaml, as every run that is not about speakers).
SKIPPED = ("tmdb", "pre_ner", "pyannote_vad", "sound_events", "diarization", "post_ner")


def expected_requests() -> dict[str, dict[str, str]]:
    import yaml

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cpus = os.cpu_count() or 1
    threads = {**cfg["threads"], "asr": min(4, cpus), "silero_vad": min(2, cpus)}
    return {
        s: {
            "ReqMem": f"{cfg['mem_mb'][s]}M",
            "Timelimit": hhmmss(math.ceil(cfg["timeouts"][s] / 60) + 5),
            "AllocCPUS": str(threads[s]),
        }
        for s in STAGE_NAMES
    }


def test_sacct_shows_every_stage_job_with_its_requests(runs):
    assert runs["sp"].returncode == 0
    want = expected_requests()
    rows: list[dict[str, str]] = []

    def all_there() -> bool:
        rows[:] = [r for r in sacct_rows() if r["Comment"].startswith("rule_")]
        return len(rows) >= len(MOVIES) * len(STAGE_NAMES)

    wait_for(all_there, 30, "sacct to list every stage job", every=1)
    for movie in MOVIES:
        for stage in STAGE_NAMES:
            mine = [
                r
                for r in rows
                if r["Comment"].startswith(f"rule_{stage}_wildcards_") and movie in r["Comment"]
            ]
            assert len(mine) == 1, (movie, stage, rows)
            r = mine[0]
            assert r["State"] == "COMPLETED", r
            assert {k: r[k] for k in want[stage]} == want[stage], (movie, stage, r)
    print("\nsacct:", *("|".join(r.values()) for r in rows), sep="\n")


def squeue_jobs() -> list[dict[str, str]]:
    text = out("squeue", "-h", "-o", "%i|%k|%T")
    return [
        dict(zip(("id", "comment", "state"), line.split("|"), strict=True))
        for line in text.splitlines()
    ]


def test_scancel_fails_the_run_and_the_rerun_completes(runs):
    work, movie = runs["slurm"], MOVIES[0]
    assert runs["sp"].returncode == 0
    (work / "out" / movie / "asr" / "transcript.json").unlink()
    asr_status = work / "out" / movie / ".status" / "asr.json"
    with open(work / "cancelled-run.log", "w") as log:
        # No retry here: the cancelled job must fail the run.
        proc = subprocess.Popen(
            slurm_cmd(work, "--retries", "0"), cwd=work, env=env(), stdout=log, stderr=log
        )
        try:
            job: dict[str, str] = {}

            def asr_running() -> bool:
                # The SLURM job runs and the stage inside it has started.
                for j in squeue_jobs():
                    if j["comment"].startswith("rule_asr_") and j["state"] == "RUNNING":
                        job.update(j)
                        return (status.read_status(asr_status) or {}).get("status") == "running"
                return False

            wait_for(asr_running, 120, "the asr job to run", every=0.05)
            subprocess.run(["scancel", job["id"]], check=True)
            rc = proc.wait(RUN_LIMIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = (work / "cancelled-run.log").read_text()
    assert rc not in (0, 124, 137), text[-4000:]
    m = read_manifest(work, movie)
    assert m["pipeline"]["status"] == "failed", m["pipeline"]
    assert m["pipeline"]["steps"]["asr"]["status"] == "failed"
    # (srt_generation and mux keep their earlier success records: they did not run.)
    done = m["pipeline"]["completed_stages"]
    assert [s for s in done if s in ("demux", "silero_vad")] == ["demux", "silero_vad"]
    assert "asr" not in m["pipeline"]["completed_stages"]
    assert read_manifest(work, MOVIES[1])["pipeline"]["status"] == "completed"
    cancelled = [r for r in sacct_rows() if r["JobID"] == job["id"]]
    assert cancelled and cancelled[0]["State"].startswith("CANCELLED"), cancelled

    rerun = run_slurm(work)
    if rerun.returncode != 0 and "LockException" in rerun.stderr:
        assert run_slurm(work, "--unlock").returncode == 0
        rerun = run_slurm(work)
    assert rerun.returncode == 0, rerun.stderr[-5000:]
    m = read_manifest(work, movie)
    assert m["pipeline"]["status"] == "completed"
    assert m["pipeline"]["completed_stages"] == list(STAGE_NAMES)
    asr = m["pipeline"]["steps"]["asr"]
    assert asr["status"] == "success"
    assert asr["previous"][-1]["status"] == "failed"
    assert (work / "out" / movie / "final.mkv").exists()
    print(f"\nlocal run {runs['t_local']:.0f} s, slurm run {runs['t_slurm']:.0f} s")
