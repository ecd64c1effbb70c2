#!/usr/bin/env python3
"""Seedvox benchmark suite: `python3 build.py bench [-- options]`.

Builds the site (pointed at a local tracker, no ICE servers), serves it on 127.0.0.1 (the app on
one origin, the baseline pages from tests/bench/pages on another), starts the real
bittorrent-tracker, drives headless Debian Chromium through Playwright, prints one table and
writes it as JSON. Figures are medians of --runs runs; comparisons alternate app and baseline
within each run and report the median of the per-run ratios.

    python3 tests/bench/run.py [--runs 5] [--only boot,fetch,share_5mib] [--json PATH]
                               [--dist DIR] [--keep]

Groups for --only (or any figure key from the table): boot, fetch, swarm, library, share, heap.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

import figures as f
import harness as h
from playwright.sync_api import sync_playwright

import build

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def stock_runtime_bytes() -> int:
    """Bytes of Pyodide's five runtime files exactly as npm ships them."""
    package = build.fetch_npm(build.PYODIDE)
    return sum((package / name).stat().st_size for name in build.PYODIDE_FILES)


def selection(only: str | None) -> dict[str, set[str]]:
    """group -> figure keys to measure."""
    wanted: dict[str, set[str]] = {}
    names = [n.strip() for n in (only or "").split(",") if n.strip()]
    for group, (_measure, keys) in f.GROUPS.items():
        chosen = set(keys) if not names or group in names else {k for k in keys if k in names}
        if chosen:
            wanted[group] = chosen
    unknown = set(names) - set(f.GROUPS) - {k for _m, ks in f.GROUPS.values() for k in ks}
    if unknown:
        raise SystemExit(f"unknown figure or group: {', '.join(sorted(unknown))}")
    return wanted


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "B":
        return f"{value / 1e6:,.2f} MB"
    if unit.startswith("×"):
        return f"{value:.2f}{unit}"
    return f"{value:g} {unit}"


def table(figures: list[f.Figure]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "95% CI", "target", "result")]
    for fig in figures:
        rows.append(
            (
                fig.name,
                fmt(fig.value, fig.unit),
                fmt(fig.baseline, fig.unit) if fig.baseline is not None else "—",
                f"{fig.ratio:.2f}" if fig.ratio is not None else "—",
                f.interval_text(fig.interval),
                fig.target,
                {True: "pass", False: "FAIL", None: "—"}[fig.passed],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    parser.add_argument("--only", help="comma-separated groups or figure keys")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument("--dist", type=Path, help="bench this built site instead of building")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (profiles)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    wanted = selection(args.only)
    info = h.machine()
    h.log(f"{info['chromium']} · {info['nproc']} cores · {info['memory_gib']} GiB · {info['date']}")

    work = h.workdir()
    started = time.monotonic()
    results: list[f.Figure] = []
    try:
        with h.tracker() as tracker_url:
            site = h.prepare_site(work, tracker_url, args.dist)
            app, bench = h.serve(site), h.serve(site)
            try:
                with sync_playwright() as playwright:
                    ctx = f.Context(
                        browsers=h.Browsers(playwright, work),
                        app=app,
                        bench=bench,
                        tracker=tracker_url,
                        runs=args.runs,
                        stock_runtime_bytes=stock_runtime_bytes(),
                        site=site,
                    )
                    for group, keys in wanted.items():
                        measure, _keys = f.GROUPS[group]
                        h.log(f"measuring {group} ({', '.join(sorted(keys))})")
                        group_started = time.monotonic()
                        results.extend(measure(ctx, keys))
                        h.log(f"{group} took {time.monotonic() - group_started:.0f} s")
            finally:
                app.stop()
                bench.stop()
    finally:
        if args.keep:
            h.log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    order = [k for _m, keys in f.GROUPS.values() for k in keys]
    results.sort(key=lambda fig: order.index(fig.key))
    elapsed = time.monotonic() - started
    header = (
        f"Seedvox benchmark · {info['date']} · {info['chromium']} (headless) · "
        f"{info['nproc']} cores ({info['cpu']}) · {info['memory_gib']} GiB · "
        f"median of {args.runs} runs ({max(args.runs, f.NOISY_RUNS)} for boot, fetch and list) · "
        f"{elapsed:.0f} s"
    )
    aside = sum(sum(r.busy) for r in f.ALL_RUNS)
    loaded = [
        f"{r.label} ({sum(r.busy[i] for i in r.chosen())})"
        for r in f.ALL_RUNS
        if any(r.busy[i] for i in r.chosen())
    ]
    header += f" · {aside} runs set aside (other processes busy)"
    if loaded:
        header += f" · too few quiet runs, busy runs used: {', '.join(loaded)}"
    print(header)
    print(table(results))
    for fig in results:
        if fig.notes:
            print(f"- {fig.name}: {fig.notes}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": info,
                "runs": args.runs,
                "command": "python3 tests/bench/run.py " + " ".join(sys.argv[1:]),
                "seconds": round(elapsed),
                "idle_share_before_steps": [round(x, 2) for x in f.IDLE],
                "figures": [asdict(fig) for fig in results],
            },
            indent=2,
        )
    )
    h.log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
