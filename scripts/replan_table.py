#!/usr/bin/env python3
"""Markdown summary of the re-planning traces (benchmarks/replan/<model>-trace.json, written by
benchmarks/replan/trace.sh): per model, the mean latency over the trace's steps (each state
holds 2 s) of the plan kept, D3's re-adjustment and each full re-plan, and the mean time per
change of re-adjusting and of each full re-plan.
Usage: python3 scripts/replan_table.py"""
import json
import math

MODELS = ["alexnet", "vgg16", "resnet50", "mobilenet_v2", "yolov2"]


def mean(v):
    return sum(v) / len(v)


def main():
    rows = []
    for m in MODELS:
        r = json.load(open(f"benchmarks/replan/{m}-trace.json"))
        steps = r["steps"]
        full = [f["planner"] for f in steps[0]["full"]]
        lat = {"kept": [s["kept_ms"] for s in steps], "re-adjusted": [s["readjusted_ms"] for s in steps]}
        for i, f in enumerate(full):
            lat[f] = [s["full"][i]["latency_ms"] for s in steps]
        later = steps[1:]
        times = {"re-adjusted": mean([s["readjust_time_ms"] for s in later])}
        for i, f in enumerate(full):
            times[f] = mean([s["full"][i]["planning_ms"] for s in later])
        rows.append((m, lat, times, full))
    full = rows[0][3]
    cols = ["kept", "re-adjusted"] + full
    print("| model | " + " | ".join(f"{c} mean ms" for c in cols) + " | re-adjust time ms | "
          + " | ".join(f"{f} time ms (x re-adjust)" for f in full) + " |")
    print("|---" * (1 + len(cols) + 1 + len(full)) + "|")
    for m, lat, times, _ in rows:
        print(f"| {m} | " + " | ".join(f"{mean(lat[c]):.2f}" for c in cols) + f" | {times['re-adjusted']:.3f} | "
              + " | ".join(f"{times[f]:.1f} ({times[f] / times['re-adjusted']:.0f}x)" for f in full) + " |")
    worst = max(max(a / b for a, b in zip(lat["re-adjusted"], lat[full[-1]])) for _, lat, _, _ in rows)
    never = all(all(a <= k + 1e-9 for a, k in zip(lat["re-adjusted"], lat["kept"])) for _, lat, _, _ in rows)
    print()
    print(f"Re-adjusted / {full[-1]} per step: worst {worst:.3f}x; re-adjusted never slower than the plan kept: {never}.")


if __name__ == "__main__":
    main()
