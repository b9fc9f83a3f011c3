"""A Jellyfin/Plex library through the real workflow with the library defaults (issue 31):
`Movies/Title (Year)/Title (Year).mkv`, subtitles written into it, nothing of the user's
touched, only what is missing done, no copy of any movie, no work files left behind."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from fake_media_server import JELLYFIN_TOKEN, PLEX_TOKEN, FakeJellyfin, FakePlex
from test_existing import with_subtitle

from conftest import env, ps_watched, run_snakemake, snakemake_cmd
from subsmith import demo

pytestmark = pytest.mark.e2e

SRT = "1\n00:00:00,500 --> 00:00:02,000\nHello there.\n"
TODO = [  # each gets exactly one new file beside it: <stem>.en.srt
    "Arrival (2016)/Arrival (2016)",
    "Brazil (1985)/Brazil (1985)",  # a forced English track and .en.forced.srt only
    'Amélie "Le Fabuleux" (2001)/Amélie "Le Fabuleux" (2001)',  # and a .srt of no language
    "It's a Wonderful Life (1946)/It's a Wonderful Life (1946)",  # a German sidecar only
]
SKIPPED = {
    "Heat (1995)/Heat (1995)": "a subtitle in English is in the file: stream #2 (eng, subrip)",
    "Alien (1979)/Alien (1979)": "a subtitle in English is beside it: Alien (1979).en.srt",
    "Ran (1985)/Ran (1985)": "a subtitle in English is beside it: Ran (1985).eng.sdh.srt",
}
LOCKED = "Locked (2003)/Locked (2003)"  # its folder is a read-only file system


def checksums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


TOKENS = {"JELLYFIN_TOKEN": JELLYFIN_TOKEN, "PLEX_TOKEN": PLEX_TOKEN}


def run_with_tokens(work: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """The workflow with the media servers' tokens in its environment, `ps` watched."""
    with ps_watched(TOKENS.values(), {}) as seen:
        proc = subprocess.run(
            snakemake_cmd(work, *args, library=True),
            cwd=work,
            env={**env(), **TOKENS},
            capture_output=True,
            text=True,
            timeout=600,
        )
    return proc, seen


def read_only_folder(folder: Path, files: dict[str, Path]) -> bool:
    """`folder` as a read-only tmpfs holding `files` (root ignores permission bits, so a
    chmod would not do). False where mounting is not permitted."""
    folder.mkdir(parents=True)
    if shutil.which("mount") is None:
        return False
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                      capture_output=True).returncode:  # fmt: skip
        return False
    for name, src in files.items():
        shutil.copy(src, folder / name)
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    return True


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Fake Jellyfin and Plex on 127.0.0.1, told of every folder that gets a sidecar."""
    with FakeJellyfin() as jf, FakePlex({"1": ["/srv/TV"], "2": ["<the library>"]}) as px:
        yield jf, px


@pytest.fixture(scope="module")
def run(tmp_path_factory, servers):
    jf, px = servers
    work = tmp_path_factory.mktemp("jellyfin")
    audio, _ = demo.dialogue(demo.DIALOGUE[:1], lead_in=0.3, tail=0.3)  # ~3 s of speech
    clip = demo.make_movie(work / "clip.mkv", [{"audio": audio, "language": "eng"}])
    lib = work / "Movies"
    for name in TODO + ["Alien (1979)/Alien (1979)", "Ran (1985)/Ran (1985)"]:
        (lib / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, lib / f"{name}.mkv")
        (lib / name).with_name("folder.jpg").write_bytes(b"\xff\xd8 a poster")
    (lib / "Heat (1995)").mkdir()
    with_subtitle(clip, lib / "Heat (1995)/Heat (1995).mkv", "eng", forced=False)
    (lib / "Brazil (1985)/Brazil (1985).mkv").unlink()
    with_subtitle(clip, lib / "Brazil (1985)/Brazil (1985).mkv", "eng", forced=True)
    (lib / "Brazil (1985)/Brazil (1985).en.forced.srt").write_text(SRT)
    (lib / "Alien (1979)/Alien (1979).en.srt").write_text(SRT)
    (lib / "Ran (1985)/Ran (1985).eng.sdh.srt").write_text(SRT)
    (lib / 'Amélie "Le Fabuleux" (2001)/Amélie "Le Fabuleux" (2001).srt').write_text(SRT)
    (lib / "It's a Wonderful Life (1946)/It's a Wonderful Life (1946).de.srt").write_text(SRT)
    locked = read_only_folder(lib / "Locked (2003)", {"Locked (2003).mkv": clip})
    before = checksums(lib)
    config = work / "library.yaml"
    px.sections["2"] = [str(lib)]
    config.write_text(
        f"input_dir: {lib}\noutput_dir: {work / 'out'}\n"
        f"notify:\n  jellyfin_url: {jf.url}\n  plex_url: {px.url}\n"
    )
    args = ("--configfile", str(config))
    proc, seen = run_with_tokens(work, *args)
    yield {
        "seen": seen,
        "jellyfin": list(jf.refreshed()),
        "plex": list(px.refreshed()),
        "work": work,
        "lib": lib,
        "out": work / "out",
        "proc": proc,
        "args": args,
        "before": before,
        "locked": locked,
    }
    if locked:
        subprocess.run(["umount", str(lib / "Locked (2003)")], check=False)


def manifest(run, name: str) -> dict:
    return json.loads((run["out"] / name / "manifest.json").read_text(encoding="utf-8"))


def test_the_run_succeeds(run):
    assert run["proc"].returncode == 0, run["proc"].stderr[-3000:]
    assert "Traceback" not in run["proc"].stderr


def test_nothing_of_the_users_is_touched_and_each_movie_gets_one_sidecar(run):
    after = checksums(run["lib"])
    new = {f for f in after if f not in run["before"]}
    assert {f: after[f] for f in run["before"]} == run["before"]  # every old file unchanged
    assert new == {f"{name}.en.srt" for name in TODO}
    for name in TODO:
        text = (run["lib"] / f"{name}.en.srt").read_text(encoding="utf-8")
        assert "morning" in text.lower(), name
        stem = name.rsplit("/", 1)[-1]
        assert text == (run["out"] / name / f"{stem}.en.srt").read_text(encoding="utf-8")
        m = manifest(run, name)
        assert m["pipeline"]["status"] == "completed", name
        folder = stem
        assert m["pipeline"]["steps"]["mux"]["notes"] == (
            f"beside the movie: {stem}.en.srt; no final.mkv (publish.mkv: false); "
            f"jellyfin: asked to rescan {folder}; plex: asked to rescan {folder}"
        )


def test_the_media_servers_are_told_of_each_published_folder_once(run):
    folders = sorted(str((run["lib"] / name).parent) for name in TODO)
    assert sorted(run["jellyfin"]) == folders  # not the skipped ones, not Locked
    assert sorted(run["plex"]) == [("2", f) for f in folders]
    record = json.loads((run["out"] / TODO[0] / "published.json").read_text(encoding="utf-8"))
    assert record["notify"] == ["jellyfin: asked to rescan Arrival (2016)",
                                "plex: asked to rescan Arrival (2016)"]  # fmt: skip


def leaks(work: Path) -> list[str]:
    return [
        f"{p}: {t[:6]}..."
        for p in work.rglob("*")
        if p.is_file()
        for t in TOKENS.values()
        if t.encode() in p.read_bytes()
    ]


def test_the_tokens_are_in_no_file_no_command_line_no_output(run):
    seen = run["seen"]
    assert seen["samples"] > 5 and seen["snakemake"] > 0, seen
    assert seen["hits"] == []
    assert leaks(run["work"]) == []
    assert not any(t in run["proc"].stdout + run["proc"].stderr for t in TOKENS.values())


def test_an_unreachable_media_server_is_a_note_and_the_movie_completes(run, servers):
    name = TODO[3]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: the connection is refused
    try:
        config = run["work"] / "unreachable.yaml"
        config.write_text(
            f"input_dir: {run['lib']}\noutput_dir: {run['out']}\nnotify:\n"
            f"  jellyfin_url: {servers[0].url}\n"
            f"  plex_url: http://127.0.0.1:{closed.getsockname()[1]}\n"
        )
        record = (run["out"] / name / "published.json").as_posix()
        proc, seen = run_with_tokens(  # the target first: --forcerun takes several rules
            run["work"], record, "--forcerun", "publish", "--configfile", str(config)
        )
    finally:
        closed.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = manifest(run, name)
    assert m["pipeline"]["status"] == "completed"
    notes = m["pipeline"]["steps"]["mux"]["notes"]
    folder = (run["lib"] / name).parent.name
    assert f"jellyfin: asked to rescan {folder}; plex: not told of the new subtitle " in notes
    assert "(cannot reach it (Connection refused)); it shows at the next scan" in notes
    assert servers[0].refreshed()[-1] == str((run["lib"] / name).parent)
    assert m["pipeline"]["steps"]["mux"]["runs"] == 2
    assert manifest(run, TODO[1])["pipeline"]["steps"]["mux"]["runs"] == 1  # only this one
    assert seen["hits"] == [] and leaks(run["work"]) == []


def test_a_movie_with_its_subtitle_is_skipped_with_the_reason(run):
    for name, reason in SKIPPED.items():
        m = manifest(run, name)
        assert m["pipeline"]["status"] == "skipped", name
        assert m["pipeline"]["note"] == f"skipped: {reason} (existing: skip)"
        assert m["pipeline"]["steps"]["demux"]["runs"] == 0
        assert not (run["out"] / name / "audio").exists()  # never demuxed
    shown = subprocess.run(
        [str(Path(os.sys.executable).parent / "subsmith"), "status", str(run["out"])],
        capture_output=True,
        text=True,
        env=env(),
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    for name, reason in SKIPPED.items():
        assert f"{name}: skipped: {reason} (existing: skip)" in shown.stdout


def test_a_library_folder_that_cannot_be_written_keeps_the_sidecar_in_out(run):
    if not run["locked"]:
        pytest.skip("mounting a read-only tmpfs is not permitted here")
    m = manifest(run, LOCKED)
    srt = run["out"] / LOCKED / "Locked (2003).en.srt"
    assert m["pipeline"]["status"] == "completed" and srt.read_text().strip()
    assert m["pipeline"]["note"] == (
        f"cannot write into {run['lib'] / 'Locked (2003)'} (Read-only file system): "
        f"the subtitle stays in {srt}"
    )


def test_no_copy_of_any_movie_and_no_work_audio(run):
    assert not list(run["out"].rglob("final.mkv"))
    assert not list(run["out"].rglob("*.mkv"))
    assert not list(run["out"].rglob("*.wav"))  # keep_work_files: false
    for name in TODO:  # what a reader needs stays
        d = run["out"] / name
        assert (d / "manifest.json").is_file() and (d / "logs" / "demux.log").is_file()
        assert (d / "media.json").is_file() and (d / "asr" / "transcript.json").is_file()


def test_a_second_run_has_nothing_to_do(run):
    dry = run_snakemake(run["work"], "--dry-run", *run["args"], library=True)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-3000:]


def test_a_stage_redone_later_extracts_the_audio_again(run):
    """audio.wav is Snakemake's temp(): gone, it is made again when a stage needs it."""
    name = TODO[0]
    transcript = run["out"] / name / "asr" / "transcript.json"
    kept, st = transcript.read_bytes(), transcript.stat()
    transcript.unlink()
    try:
        dry = run_snakemake(run["work"], "--dry-run", *run["args"], library=True)
        stats = (dry.stdout + dry.stderr).split("Job stats:", 1)[1].split("\n\n", 1)[0]
        rules = {ln.split()[0] for ln in stats.splitlines()[3:] if ln.strip()}
        assert {"demux", "asr", "srt_generation", "publish"} <= rules, stats
        assert "tmdb" not in rules and "mux" not in rules, stats
    finally:
        transcript.write_bytes(kept)
        os.utime(transcript, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_sidecar_deleted_beside_the_movie_is_named_and_comes_back(run):
    name = TODO[1]
    beside = run["lib"] / f"{name}.en.srt"
    beside.unlink()
    exe = str(Path(os.sys.executable).parent / "subsmith")
    shown = subprocess.run([exe, "status", str(run["out"])], capture_output=True, text=True,
                           env=env(), cwd=run["work"])  # fmt: skip
    record = (run["out"] / name / "published.json").as_posix()
    fix = f'snakemake --cores 1 "{record}" --forcerun publish'
    assert f"{name}: {beside.name} missing beside the movie: run {fix}" in shown.stdout
    proc = run_snakemake(run["work"], record, "--forcerun", "publish", *run["args"], library=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "morning" in beside.read_text().lower()
    m = manifest(run, name)
    assert m["pipeline"]["status"] == "completed" and m["pipeline"]["steps"]["mux"]["runs"] == 2
    assert m["pipeline"]["steps"]["demux"]["runs"] == 1  # the audio was not needed again
