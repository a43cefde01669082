#!/usr/bin/env python3
"""Compare `safeguard review` with DuckDB running the same five rules on a generated EHR log.

Creates `bench/.venv` with duckdb from PyPI on first use and generates the log and roster unless
they exist. Then runs both engines one after the other, checks that they report the same
accounts for each rule, and prints wall time, CPU time, peak resident memory and the ratios.

Usage: run_benchmark.py [--events N] [--binary PATH] [--workdir DIR]
The binary defaults to target/release/safeguard; build it with `cargo build --release -p safeguard`.
"""

import argparse
import json
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = [
    "unknown_account_activity",
    "departed_account_activity",
    "off_hours_activity",
    "failed_login_burst_account",
    "patient_volume_outlier",
    "break_glass_without_review",
]


def ensure_venv():
    env_dir = HERE / ".venv"
    python = env_dir / "bin" / "python"
    if not python.exists():
        venv.create(env_dir, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "duckdb"], check=True)
    return python


def measure(command):
    """Runs a command under /usr/bin/time and returns (wall s, CPU s, peak RSS in MiB).

    GNU time reports the peak of the command alone; `os.wait4` would also count the pages the
    forked Python process had before it started the command.
    """
    timed = ["/usr/bin/time", "-f", "TIMING %e %U %S %M", *command]
    result = subprocess.run(timed, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stderr}")
    line = [l for l in result.stderr.splitlines() if l.startswith("TIMING ")][-1]
    wall, user, system, rss_kib = (float(v) for v in line.split()[1:])
    return wall, user + system, rss_kib / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--binary", default=str(HERE.parent / "target" / "release" / "safeguard"))
    parser.add_argument("--workdir", default=str(HERE / "data"))
    args = parser.parse_args()

    python = ensure_venv()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    log = work / f"ehr-{args.events}.csv"
    roster = work / "roster.csv"
    if not log.exists() or not roster.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_ehr_log.py"), str(args.events), str(log), str(roster)],
            check=True,
        )

    report = work / f"safeguard-{args.events}.json"
    duck_out = work / f"duckdb-{args.events}.json"
    ours = measure(
        [args.binary, "review", str(log), "--roster", str(roster), "--time-zone", "UTC", "--year", "2024", "--out", str(report)]
    )
    theirs = measure([str(python), str(HERE / "duckdb_rules.py"), str(log), str(roster), str(duck_out)])

    with open(report, encoding="utf-8") as handle:
        findings = json.load(handle)["findings"]
    with open(duck_out, encoding="utf-8") as handle:
        expected = json.load(handle)
    same = True
    for rule in RULES:
        got = sorted({(f.get("account") or "").lower() for f in findings if f["rule"] == rule})
        want = expected[rule]
        status = "same" if got == want else "DIFFERENT"
        same &= got == want
        print(f"{rule:28} safeguard {len(got):4}  duckdb {len(want):4}  {status}")
        if got != want:
            print(f"  only safeguard: {sorted(set(got) - set(want))[:10]}")
            print(f"  only duckdb:    {sorted(set(want) - set(got))[:10]}")

    print(f"events: {args.events:,}  file: {log.stat().st_size / 2**20:,.0f} MiB")
    print(f"safeguard review: {ours[0]:7.2f} s wall  {ours[1]:7.2f} s CPU  {ours[2]:8.1f} MiB peak RSS")
    print(f"duckdb:           {theirs[0]:7.2f} s wall  {theirs[1]:7.2f} s CPU  {theirs[2]:8.1f} MiB peak RSS")
    print(f"wall-time ratio (duckdb / safeguard): {theirs[0] / ours[0]:.2f}x")
    print(f"CPU-time ratio (duckdb / safeguard):  {theirs[1] / ours[1]:.2f}x")
    print(f"memory ratio (safeguard / duckdb):    {ours[2] / theirs[2]:.3f}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
