"""Run a command as if on a CPU `S` times slower per core: a stand-in for a slow 2-core machine one does not have.

    sudo python bench/slow_cpu.py 1.4 -- attention_nb_visualize --data_folder PHOTOS

Every process of the command (forked workers included, moved as they appear) gets a cgroup of its own (cgroup v1
`cpu` controller, `/sys/fs/cgroup/cpu`) whose CFS quota is 1/S of one CPU per 10 ms period. A single-threaded
process then runs S times slower; a process using two threads gets 1/S of one CPU in all, so multi-threaded phases
are slowed more than S (the emulation errs on the slow side). Caches, memory bandwidth and the disk are not slowed.
Needs root and cgroup v1; exits with one line where either is missing. Calibrate S against a figure measured on the
real machine (bench/NOTES.md entry 29 does this) before reading anything into its numbers.
"""
import os, subprocess, sys, threading, time
from pathlib import Path

ROOT = Path('/sys/fs/cgroup/cpu')
PERIOD_US = 10_000


def group(name:str, s:float) -> Path:
    "A cgroup with a quota of 1/s of one CPU."
    d = ROOT/'slow_cpu'/name
    d.mkdir(parents=True, exist_ok=True)
    (d/'cpu.cfs_period_us').write_text(str(PERIOD_US))
    (d/'cpu.cfs_quota_us').write_text(str(max(1000, int(PERIOD_US / s))))
    return d


def run(s:float, cmd:list) -> int:
    "Run `cmd` with each of its processes in a slowed cgroup of its own; return its exit status."
    if not (ROOT/'cpu.cfs_quota_us').exists() or not os.access(ROOT, os.W_OK):
        sys.exit(f"slow_cpu.py: {ROOT} is not a writable cgroup v1 cpu controller: run as root on a cgroup v1 machine")
    first = group('p0', s)
    p = subprocess.Popen(cmd, preexec_fn=lambda: (first/'cgroup.procs').write_text(str(os.getpid())))
    placed = {p.pid}
    def spread():   # a process forked by the command starts in the first group: give it one of its own
        while p.poll() is None:
            try: pids = [int(x) for x in (first/'cgroup.procs').read_text().split()]
            except OSError: pids = []
            for pid in pids:
                if pid in placed: continue
                try: (group(f'p{len(placed)}', s)/'cgroup.procs').write_text(str(pid))
                except OSError: pass   # gone already
                placed.add(pid)
            time.sleep(0.005)
    threading.Thread(target=spread, daemon=True).start()
    return p.wait()


if __name__ == '__main__':
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != '--':
        sys.exit('usage: python bench/slow_cpu.py S -- COMMAND [ARG ...]   (S > 0: how many times slower per core)')
    try: s = float(args[0]); assert s > 0
    except (ValueError, AssertionError): sys.exit(f'slow_cpu.py: S={args[0]!r}: pass a positive number, e.g. 1.4')
    sys.exit(run(s, args[2:]))
