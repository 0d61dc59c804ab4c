#!/usr/bin/env python3
"""The per-factor table of benchmarks/RESULTS.md ("What issue 14 changed"): `single` and `opt` on
variants of six DistrEdge groups, each adding one change of the deployment model (8-bit image,
a requester that computes nothing, cited Wi-Fi latency, the access point's channel capacity,
fp16 on the calibrated Nano and AGX Xavier).
Run from anywhere after building: python3 scripts/deployment_factors.py"""
import json, subprocess, os, re, copy, tempfile
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = os.path.join(root, "build", "bin", "edgeplan")
def lat(scen, planner):
    out = subprocess.run([exe, "plan", "--scenario", scen, "--planner", planner, "-o", os.path.join(tmp, "p.json")], capture_output=True, text=True).stdout
    return float(re.search(r"end-to-end latency ([0-9.]+) ms", out).group(1))
rows = []
tmp = tempfile.mkdtemp()
for name in ["DA-50", "NC-xavier", "LC", "NA-nano", "ND-nano", "LB"]:
    final = json.load(open(f"{root}/benchmarks/scenarios/distredge/{name}.json"))
    onboard = json.load(open(f"{root}/benchmarks/scenarios/distredge/onboard/{name}-onboard.json"))
    for d in onboard["devices"]:
        d["profile"] = os.path.normpath(os.path.join(root, "benchmarks/scenarios/distredge/onboard", d["profile"]))
    for d in final["devices"]:
        if "profile" in d:
            d["profile"] = os.path.normpath(os.path.join(root, "benchmarks/scenarios/distredge", d["profile"]))
    variants = []
    v = copy.deepcopy(onboard); v["precision"] = {"activations": "fp32", "input": "fp32"}; v["network"]["latency_ms"] = 1.0
    v["network"].pop("channel_mbps", None)
    variants.append(("fp32 image on the first provider, 1 ms", v))
    v = copy.deepcopy(v); v["precision"]["input"] = "uint8"; variants.append(("+ uint8 image", v))
    w = copy.deepcopy(final); w["network"]["latency_ms"] = 1.0; w["network"].pop("channel_mbps", None)
    variants.append(("+ requester that computes nothing", w))
    w = copy.deepcopy(w); w["network"]["latency_ms"] = 1.5; variants.append(("+ latency 1.5 ms", w))
    variants.append(("+ channel 340 Mbit/s, relayed (the suite now)", copy.deepcopy(final)))
    for kind, label in (("nano", "Nano"), ("xavier", "AGX Xavier")):  # groups whose devices all have fp16 profiles
        if kind not in name:
            continue
        f = copy.deepcopy(final); f["precision"]["activations"] = "fp16"
        for d in f["devices"]:
            if "profile" in d:
                d["profile"] = d["profile"].replace("jetson-nano.json", "jetson-nano-fp16.json").replace(
                    "jetson-agx-xavier.json", "jetson-agx-xavier-fp16.json")
        variants.append((f"+ fp16 activations (calibrated {label})", f))
    for label, sc in variants:
        path = os.path.join(tmp, "s.json")
        json.dump(sc, open(path, "w"))
        o, s = lat(path, "opt"), lat(path, "single")
        rows.append((name, label, s, o, s / o))
        print(f"| {name} | {label} | {s:.1f} | {o:.1f} | {s/o:.2f}x |", flush=True)
