"""Figures shared by the benchmark scripts (run as scripts, so this directory is on sys.path)."""


def percentile(values, share):
    """The nearest-rank percentile: ``share`` 0.95 gives the p95 of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]
