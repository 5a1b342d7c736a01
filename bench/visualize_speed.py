"""How long `attention_nb_visualize` takes on 24 photos, start-up included (issue 28: at most 6 s on 2 AVX2 cores).

Runs the console script as a user would, as a subprocess: once to warm the disk cache, then `--runs` times, each with
`ATEN_CPU_CAPABILITY=avx2` in its environment (torch then uses its AVX2 kernels, as on a machine without AVX-512).
The model is the bundled one (`pretrained_path`, 64 px); the photos are the first four test images of each class of
`../shared/data/intel-scenes-mini`, or the demo data set's test images where that is missing. Prints the median and
minimum wall seconds of the command, the CPU seconds of its processes (drawing workers included: less sensitive than
wall time to other load on the machine), and the wall seconds of `python -c "import attention_nb.visualize"`; it
asserts nothing.

    .venv/bin/python bench/visualize_speed.py                           # about a minute
    .venv/bin/python bench/visualize_speed.py --against /tmp/old        # and an older copy, runs alternating
    .venv/bin/python bench/visualize_speed.py --slow 1.4                # as on a slower machine (root; NOTES 29)

`--against DIR ...` times copies of the package (DIR/attention_nb, e.g. `git archive HEAD attention_nb | tar -x -C DIR`)
in the same session, their runs alternating with this one's, so that all see the same load on a busy machine.

Say whether the machine was busy: on a loaded 2-core machine every figure here is larger.
"""
import argparse, os, resource, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT.parent/'shared'/'data'/'intel-scenes-mini'/'test'


def photos(dst:Path, n:int) -> str:
    "Copy `n` test photos (round-robin over the classes) into `dst`; return where they came from."
    if MINI.is_dir(): src, what = MINI, 'intel-scenes-mini test photos'
    else:
        from attention_nb.synth import make_demo_data
        src, what = make_demo_data()/'test', 'demo test images (intel-scenes-mini not found)'
    classes = sorted(d for d in src.iterdir() if d.is_dir())
    files = [sorted(c.iterdir()) for c in classes]
    for i in range(n):
        f = files[i % len(classes)][i // len(classes)]
        (dst/classes[i % len(classes)].name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dst/classes[i % len(classes)].name/f.name)
    return what


def script() -> str:
    "The console script next to this interpreter, else the one on PATH."
    p = Path(sys.executable).parent/'attention_nb_visualize'
    return str(p) if p.exists() else shutil.which('attention_nb_visualize')


def cpu_s() -> float:
    "CPU seconds (user and system) of this process's finished children and theirs (the drawing workers)."
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def timed(cmd:list, env:dict, cwd:Path, cpu:list|None=None) -> float:
    "Wall seconds of `cmd`, run from `cwd` (not the checkout, whose attention_nb `python -c` would import first)."
    c, t = cpu_s(), time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode: sys.exit(f"{' '.join(cmd[:2])}… failed:\n{r.stderr}")
    if cpu is not None: cpu.append(cpu_s() - c)
    return dt


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--runs', type=int, default=5, help='timed runs after one warm-up')
    p.add_argument('--images', type=int, default=24)
    p.add_argument('--cpu', default='avx2', help="ATEN_CPU_CAPABILITY for the runs ('' to leave torch's choice)")
    p.add_argument('--against', type=Path, nargs='+', default=[], help='folders holding other copies of attention_nb')
    p.add_argument('--slow', type=float, default=None,
                   help='run the command S times slower per core (bench/slow_cpu.py: root, cgroup v1), a stand-in '
                        'for a slower machine; calibrate S first (NOTES entry 29)')
    p.add_argument('--flags', nargs=argparse.REMAINDER, default=[], help='more flags for the command: --gradcam true')
    args = p.parse_args()
    env = dict(os.environ)
    if args.cpu: env['ATEN_CPU_CAPABILITY'] = args.cpu
    import attention_nb
    from attention_nb.checkpoint import pretrained_path
    envs = {Path(attention_nb.__file__).parent: env}
    for d in args.against:
        path = [str(d.resolve())] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
        envs[d/'attention_nb'] = {**env, 'PYTHONPATH': os.pathsep.join(path)}
    runs, imports, cpus = {k: [] for k in envs}, {k: [] for k in envs}, {k: [] for k in envs}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        what = photos(tmp/'photos', args.images)
        cmd = [script(), '--data_folder', str(tmp/'photos'), '--model_save_path', str(pretrained_path()),
               '--output_folder', str(tmp/'out'), *args.flags]
        imp = [sys.executable, '-c', 'import attention_nb.visualize']
        if args.slow:
            slow = [sys.executable, str(ROOT/'bench'/'slow_cpu.py'), str(args.slow), '--']
            cmd, imp = slow + cmd, slow + imp
        for e in envs.values(): timed(imp, e, tmp); timed(cmd, e, tmp)   # warm-up: disk cache, .pyc files
        for _ in range(args.runs):
            for k, e in envs.items(): runs[k].append(timed(cmd, e, tmp, cpus[k]))
        for _ in range(args.runs):
            for k, e in envs.items(): imports[k].append(timed(imp, e, tmp))
        n = len(list((tmp/'out').glob('*.png')))
    slowed = f', each slowed {args.slow}× (bench/slow_cpu.py)' if args.slow else ''
    print(f"{args.images} images ({what}), {n} figures, ATEN_CPU_CAPABILITY={env.get('ATEN_CPU_CAPABILITY', '')!r}, "
          f"{os.cpu_count()} cores{slowed}, load average {os.getloadavg()[0]:.2f} (a busy machine makes every figure larger)")
    for k in envs:
        print(f"package {k}:")
        print(f"  attention_nb_visualize {' '.join(args.flags)}: median {statistics.median(runs[k]):.2f} s, "
              f"min {min(runs[k]):.2f} s  ({', '.join(f'{t:.2f}' for t in runs[k])}); CPU time of its processes: "
              f"median {statistics.median(cpus[k]):.2f} s")
        print(f"  import attention_nb.visualize: median {statistics.median(imports[k]):.2f} s, "
              f"min {min(imports[k]):.2f} s")


if __name__ == '__main__':
    main()
