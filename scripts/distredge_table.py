#!/usr/bin/env python3
"""Markdown table of DistrEdge's paper-setting runs from `edgeplan bench -o` results.

usage: distredge_table.py RESULTS.json [RESULTS.json ...]
Each file holds one bench run over benchmarks/suite-distredge.json with the baselines, opt
and one distredge variant (its planner name carries its settings). Per scenario: the
variant's latency (ms), its training wall time (s), and its latency ratio to opt, and its
speedup over aofl and over the best published baseline (single included).
"""
import json
import math
import sys

BASELINES = {"single", "equal", "modnn", "meddnn", "coedge", "deepthings", "deeperthings", "aofl", "neurosurgeon"}


def rows(path):
    data = json.load(open(path))
    for sc in data["scenarios"]:
        by = {p["planner"]: p for p in sc["planners"]}
        variants = [n for n in by if n.startswith("distredge")]
        if len(variants) != 1:
            sys.exit(f"{path}: scenario {sc['name']} needs exactly one distredge variant")
        d = by[variants[0]]
        best = min(by[n]["latency_ms"] for n in by if n in BASELINES and by[n]["valid"])
        yield variants[0], sc["group"], sc["name"], d, by["opt"]["latency_ms"], by["aofl"]["latency_ms"], best


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in sys.argv[1:]:
        out = list(rows(path))
        print(f"#### `{out[0][0]}`\n")
        print("| scenario | group | distredge ms | training s | distredge / opt | vs aofl | vs best baseline |")
        print("|---|---|---|---|---|---|---|")
        logs = {"opt": 0.0, "aofl": 0.0, "best": 0.0}
        secs = 0.0
        for _, group, name, d, opt, aofl, best in out:
            ms = d["latency_ms"]
            secs += d["planning_ms"] / 1000
            logs["opt"] += math.log(ms / opt)
            logs["aofl"] += math.log(aofl / ms)
            logs["best"] += math.log(best / ms)
            print(f"| {name} | {group} | {ms:.1f} | {d['planning_ms'] / 1000:.1f} | {ms / opt:.3f} | {aofl / ms:.2f}x | {best / ms:.2f}x |")
        n = len(out)
        print(f"| **geomean** ({n} scenarios, {secs:.0f} s in all) | | | | **{math.exp(logs['opt'] / n):.3f}** | "
              f"**{math.exp(logs['aofl'] / n):.2f}x** | **{math.exp(logs['best'] / n):.2f}x** |\n")


if __name__ == "__main__":
    main()
