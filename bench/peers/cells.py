"""bench/peers/cells.py: what both Python benches write into their CSV rows: number cells and the load average."""
import math


def fmt(v, spec=".6g"):
    """A number as a CSV cell: empty for None or NaN."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return format(v, spec)


def load_avg():
    """The 1-minute load average, NaN where /proc/loadavg cannot be read."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return math.nan
