#!/usr/bin/env python3
"""Markdown tables of the tiered suite's results (benchmarks/baseline-tiered.json) for
RESULTS.md: per scenario, each planner's latency, d3's speedups over the two-tier and one-tier
references, the backbone traffic (MB per inference over the edge-cloud link), and HPA against
the exhaustive three-way cut. Usage: python3 scripts/tiered_table.py [results.json]"""
import json
import math
import sys

PLANNERS = ["single", "neurosurgeon", "edge-only", "cloud-only", "d3", "d3:search=exhaustive", "opt"]
SHORT = {"d3:search=exhaustive": "d3 exhaustive"}


def geomean(v):
    v = [x for x in v if x > 0]
    return math.exp(sum(math.log(x) for x in v) / len(v)) if v else 0


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/baseline-tiered.json"
    r = json.load(open(path))
    print("| scenario | " + " | ".join(SHORT.get(p, p) + " ms" for p in PLANNERS)
          + " | d3 vs neurosurgeon | d3 vs cloud-only | d3 vs edge-only | backbone MB d3 / cloud-only | HPA / exhaustive |")
    print("|---" * (len(PLANNERS) + 6) + "|")
    ratios = {"neurosurgeon": [], "cloud-only": [], "edge-only": []}
    traffic, hpa = [], []
    for s in r["scenarios"]:
        d = {p["planner"]: p for p in s["planners"]}
        lat = {p: d[p]["latency_ms"] for p in PLANNERS}
        for k in ratios:
            ratios[k].append(lat[k] / lat["d3"])
        mb = lambda p: d[p]["backbone_bytes"][-1] / 1e6
        traffic.append((mb("cloud-only"), mb("d3")))
        hpa.append(lat["d3"] / lat["d3:search=exhaustive"])
        print(f"| {s['name']} | " + " | ".join(f"{lat[p]:.2f}" for p in PLANNERS)
              + f" | {lat['neurosurgeon'] / lat['d3']:.2f}x | {lat['cloud-only'] / lat['d3']:.2f}x | {lat['edge-only'] / lat['d3']:.2f}x"
              + f" | {mb('d3'):.3f} / {mb('cloud-only'):.3f} | {hpa[-1]:.3f} |")
    print()
    print(f"Over {len(r['scenarios'])} scenarios, d3's speedup (geometric mean, range): "
          + "; ".join(f"over {k} {geomean(v):.2f}x ({min(v):.2f}-{max(v):.2f}x)" for k, v in ratios.items())
          + f". HPA / exhaustive: worst {max(hpa):.3f}, equal on {sum(1 for x in hpa if x < 1 + 1e-9)} of {len(hpa)}.")
    less = [c / max(t, 1e-12) for c, t in traffic if c > 0]
    zero = sum(1 for c, t in traffic if t == 0)
    print(f"Backbone traffic: d3 sends nothing over the edge-cloud link in {zero} of {len(traffic)} scenarios (the cloud unused); "
          + (f"where it uses the cloud, cloud-only's bytes / d3's: {min(c / t for c, t in traffic if t > 0):.2f}-"
             f"{max(c / t for c, t in traffic if t > 0):.2f}x." if any(t > 0 for _, t in traffic) else "it never uses the cloud."))


if __name__ == "__main__":
    main()
