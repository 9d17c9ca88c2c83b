"""Time `quality_report()` on an existing database (read-only), check by check.

Run by hand against the benchmark datasets, for example:

    ATTAIN_DEBUG=1 DATABASE_URL=sqlite:////tmp/bench-medium.sqlite3 \\
        .venv/bin/python bench/quality.py
    ATTAIN_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/attain_bench \\
        .venv/bin/python bench/quality.py

Prints one Markdown table row per database (median of the warm runs after one cold run, each
check's share, peak RSS) for the "Quality report" part of docs/benchmarks.md's Import section.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from datetime import date

    from django.db import connection
    from django.db.models import Q

    from attain.crm.models import Account, Deal, Lead
    from attain.quality import selectors as quality
    from attain.quality.selectors import quality_report

    cold_started = time.perf_counter()
    report = quality_report()
    cold = time.perf_counter() - cold_started
    warm = []
    for _ in range(args.runs):
        started = time.perf_counter()
        quality_report()
        warm.append(time.perf_counter() - started)
    parts = {
        "duplicate accounts": lambda: quality._duplicate_accounts(20),
        "products": lambda: quality._unknown_products(Q(), 20),
        "categories": lambda: quality._misspelled_categories(20),
        "deal checks": lambda: quality._deal_row_checks(Q(), date.today(), 20),
    }
    shares = []
    for name, run in parts.items():
        times = []
        for _ in range(max(1, args.runs // 2)):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        shares.append(f"{name} {statistics.median(times):.2f}")
    counts = {
        "accounts": Account.objects.count(),
        "deals": Deal.objects.count(),
        "leads": Lead.objects.count(),
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    found = ", ".join(f"{c.code} {c.count:,}" for c in report.checks if c.count)
    print(
        f"| {'PostgreSQL' if connection.vendor == 'postgresql' else 'SQLite'} "
        f"| {counts['accounts']:,} accounts, {counts['deals']:,} deals, "
        f"{counts['leads']:,} leads | {cold:.2f} | {statistics.median(warm):.2f} "
        f"| {'; '.join(shares)} | {peak:.0f} | {found or 'none'} | {date.today().isoformat()} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
