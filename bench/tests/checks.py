"""bench/tests/checks.py: what the bench tests share: record a failed check and go on, compare
two ratios, and end with the exit status."""

failures = []


def check(cond, what):
    """Record `what` as a failure unless cond holds (the test goes on)."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def close(a, b, rel):
    """a and b agree to rel of the larger."""
    return abs(a - b) <= rel * max(abs(a), abs(b))


def finish():
    """The test's exit status: 1 if any check failed."""
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0
