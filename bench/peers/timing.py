"""bench/peers/timing.py: sconv-bench's timing method for a Python engine: calibrate, warm, sample, summarize.

docs/benchmarking.md, "Timing": a sample is `inner` back-to-back runs lasting at least 1 ms,
preceded by untimed runs for at least 2 ms (left out when one run exceeds a quarter of the
budget); up to `reps` samples within `budget` seconds, never fewer than 3. One engine at a
time: there is no other engine in this process to interleave with.
"""
import statistics
import time

MIN_SAMPLE_S = 1e-3
WARM_MIN_S = 2e-3


def one_sample(run, inner, warm):
    """Seconds per run of `inner` back-to-back runs, after at least WARM_MIN_S of untimed
    runs when warm."""
    if warm:
        start = time.perf_counter()
        run()
        while time.perf_counter() - start < WARM_MIN_S:
            run()
    start = time.perf_counter()
    for _ in range(inner):
        run()
    return (time.perf_counter() - start) / inner


def time_engine(run, reps, budget):
    """Median, min, max and population stddev of the seconds per run, and (samples, inner)."""
    t0 = time.perf_counter()
    run()  # calibration: one warm run
    t1 = max(time.perf_counter() - t0, 1e-9)
    inner = min(max(int(-(-MIN_SAMPLE_S // t1)), 1), 1000)
    warm = t1 < budget / 4
    warm_s = 0 if not warm else max(t1, WARM_MIN_S)
    n = int(budget / (warm_s + inner * t1))
    n = min(max(n, min(reps, 3)), reps)
    samples = [one_sample(run, inner, warm) for _ in range(n)]
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "stddev": statistics.pstdev(samples), "reps": len(samples), "inner": inner}
