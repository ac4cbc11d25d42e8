"""Draws docs/benchmarks.png from docs/bench-results.tsv: for each benchmark,
throughput (service vs SQL alone) and latency percentiles, latest run of each."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

source, target = sys.argv[1], sys.argv[2]
latest = {}
with open(source) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        if row["run"] == "run":  # a header repeated further down
            continue
        latest[(row["benchmark"], row["variant"])] = row
benchmarks = sorted({b for b, _ in latest})
fig, axes = plt.subplots(len(benchmarks), 2, figsize=(11, 3.6 * len(benchmarks)), squeeze=False)
for i, bench in enumerate(benchmarks):
    rows = [(v, r) for (b, v), r in sorted(latest.items()) if b == bench]
    names = [f"{v}\n({r['clients']} clients)" for v, r in rows]
    rps = [float(r["rps"] or 0) for _, r in rows]
    ax = axes[i][0]
    bars = ax.bar(names, rps, color=(["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"] * 2)[: len(rows)])
    ax.bar_label(bars, fmt="%.0f")
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(f"{bench}: throughput (per second)")
    ax = axes[i][1]
    width = 0.8 / max(1, len(rows))
    for j, (v, r) in enumerate(rows):
        values = [float(r[k] or 0) for k in ("p50_ms", "p95_ms", "p99_ms")]
        xs = [x + j * width for x in range(3)]
        bars = ax.bar(xs, values, width, label=v)
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks([x + width * (len(rows) - 1) / 2 for x in range(3)], ["p50", "p95", "p99"])
    ax.set_ylabel("ms")
    ax.set_title(f"{bench}: latency")
    ax.legend()
fig.suptitle("Slotwise benchmarks: latest run of each (2 cores; service over HTTP vs the same work in SQL)")
fig.tight_layout()
fig.savefig(target, dpi=110)
print(f"wrote {target}")
