#!/usr/bin/env python3
"""Writes DistrEdge's device groups as scenarios (benchmarks/scenarios/distredge/) and
benchmarks/suite.json. Run from the repository root: python3 scripts/make_suite.py"""
import json
import os

P = "../../../profiles/modeled/"
DEV = {"Nano": "jetson-nano", "TX2": "jetson-tx2", "Xavier": "jetson-agx-xavier", "Pi3": "raspberry-pi-3",
       "Pi4": "raspberry-pi-4"}
MEASURED_CPU = "../../../profiles/measured/cpu-1thread.json"
FP16 = {"Nano", "Xavier"}  # device kinds with a calibrated fp16 profile (<profile>-fp16.json)


# The access point's channel: 340 Mbit/s, the middle of the 300-380 Mbit/s that Sauter
# ("From GSM to LTE-Advanced Pro and 5G", Wiley 2017, Table 6.7) measured for 802.11ac with
# 3x3 MIMO, a standard access point, close range. A transfer between two stations crosses it
# twice (up, then down). docs/cost-model.md.
CHANNEL_MBPS = 340


def scenario(name, description, devices, model="vgg16", shared=False, requester=True, channel=True):
    """devices: list of (kind, rate Mbit/s). With a requester (DistrEdge's testbed: a node that
    sends the image to the providers over the same Wi-Fi and gets the result back, computing
    nothing) at the fastest provider's rate; without one the first device holds the image and
    gets the result (the placement before issue 14, kept as the "onboard" variant)."""
    ids, rates, out = [], {}, []
    if requester:
        ids.append("requester")
        rates["requester"] = max(rate for _, rate in devices)
        out.append({"id": "requester", "compute": False})
    for i, (kind, rate) in enumerate(devices):
        did = f"{kind.lower()}-{i}"
        ids.append(did)
        rates[did] = rate
        out.append({"id": did, "profile": MEASURED_CPU if kind == "CPU" else P + DEV[kind] + ".json"})
    where = (" A requester that computes nothing sends the 8-bit image and receives the result at "
             f"{rates['requester']} Mbit/s." if requester else " The image starts (8-bit) and the result ends on the first device.")
    if channel and not shared:
        where += (f" The access point's channel carries {CHANNEL_MBPS} Mbit/s in all; a transfer crosses it twice"
                  " (up, then down).")
    return {
        "format": "edgeplan.scenario/v1",
        "name": name,
        "description": description + "." + where,
        "model": {"name": model},
        "devices": out,
        "precision": {"activations": "fp32", "input": "uint8"},
        "input_device": ids[0],
        # 1.5 ms: half the 3 ms median Wi-Fi hop round trip of Sui et al. (MobiSys 2016); 0.2 ms: one
        # 802.11ac channel access per message (DIFS + mean backoff + preamble + block ack). docs/cost-model.md.
        "network": {"type": "wifi_star", "rates_mbps": rates, "shared_channel": shared, "latency_ms": 1.5,
                    "overhead_ms": 0.2, **({"channel_mbps": CHANNEL_MBPS} if channel and not shared else {})},
    }


def main():
    groups = []
    mixes = {"DA": ["TX2", "TX2", "Nano", "Nano"], "DB": ["Xavier", "Xavier", "Nano", "Nano"],
             "DC": ["Xavier", "TX2", "Nano", "Pi3"]}
    for g, kinds in mixes.items():
        for rate in (50, 300):
            groups.append((f"{g}-{rate}", g, f"DistrEdge device mix {g} ({', '.join(kinds)}) at {rate} Mbit/s each",
                           [(k, rate) for k in kinds]))
    bands = {"NA": [50, 50, 200, 200], "NB": [100, 100, 200, 200], "NC": [200, 200, 300, 300], "ND": [50, 100, 200, 300]}
    for g, rates in bands.items():
        for kind in ("Nano", "Xavier"):
            groups.append((f"{g}-{kind.lower()}", g, f"DistrEdge bandwidth mix {g} ({rates} Mbit/s), all {kind}",
                           [(kind, r) for r in rates]))
    large = {"LA": [(300, "Nano"), (200, "Nano"), (100, "Nano"), (50, "Nano")],
             "LB": [(300, "Pi3"), (200, "Nano"), (100, "TX2"), (50, "Xavier")],
             "LC": [(200, "Pi3"), (200, "Nano"), (200, "TX2"), (200, "Xavier")],
             "LD": [(50, "Pi3"), (100, "Nano"), (200, "TX2"), (300, "Xavier")]}
    for g, pairs in large.items():
        devices = [(k, r) for (r, k) in pairs for _ in range(4)]
        groups.append((g, g, f"DistrEdge 16 devices {g}: four of each of {pairs}", devices))
    # Beyond the paper: a bandwidth sweep of DA (for latency-vs-bandwidth curves), homogeneous
    # 2/4/8 TX2s, a mix with this machine's measured CPU profile, a shared channel at 25 Mbit/s.
    # Every Wi-Fi scenario has the access point's channel capacity, except the sweep.
    for rate in (25, 100, 200, 1000):
        groups.append((f"DA-{rate}", "DA-sweep", f"DA at {rate} Mbit/s each (bandwidth sweep)",
                       [(k, rate) for k in mixes["DA"]]))
    for n in (2, 4, 8):
        groups.append((f"homog-tx2-{n}", "homogeneous", f"{n} identical TX2s at 300 Mbit/s", [("TX2", 300)] * n))
    groups.append(("cpu-mix", "measured", "this machine's measured 1-thread CPU + Nano + TX2 at 300 Mbit/s",
                   [("CPU", 300), ("Nano", 300), ("TX2", 300)]))
    groups.append(("shared-25", "shared", "DC's mix sharing one Wi-Fi channel at 25 Mbit/s",
                   [(k, 25) for k in mixes["DC"]], ))
    # Then the other zoo models on every DistrEdge group (named <group>-<model>).
    paper_groups = [g for g in groups if g[1] in ("DA", "DB", "DC", "NA", "NB", "NC", "ND", "LA", "LB", "LC", "LD")]
    models = ["alexnet", "resnet18", "resnet50", "mobilenet_v2", "googlenet", "yolov2"]
    os.makedirs("benchmarks/scenarios/distredge", exist_ok=True)
    entries = []
    for model in models:
        for name, group, desc, devices in paper_groups:
            mname = f"{name}-{model}"
            path = f"benchmarks/scenarios/distredge/models/{mname}.json"
            os.makedirs(os.path.dirname(path), exist_ok=True)
            sc = scenario(mname, desc + f", {model}", devices, model=model)
            for d in sc["devices"]:
                if "profile" in d:
                    d["profile"] = "../" + d["profile"]  # one folder deeper
            with open(path, "w") as f:
                json.dump(sc, f, indent=2)
                f.write("\n")
            entries.append({"scenario": f"scenarios/distredge/models/{mname}.json", "group": group + "-" + model, "quick": False})
    quick = {"DA-50", "DC-300", "NA-nano", "LC", "cpu-mix", "DA-50-onboard"}
    for name, group, desc, devices in groups:
        path = f"benchmarks/scenarios/distredge/{name}.json"
        with open(path, "w") as f:
            # The DA sweep varies the devices' rates alone (no channel capacity), so its curve
            # shows the link rate's effect rather than the channel's ceiling.
            json.dump(scenario(name, desc, devices, shared=name.startswith("shared"), channel=group != "DA-sweep"), f, indent=2)
            f.write("\n")
        entries.append({"scenario": f"scenarios/distredge/{name}.json", "group": group, "quick": name in quick})
    # fp16 where every device of a group has a calibrated fp16 profile (Nano, AGX Xavier:
    # docs/cost-model.md): DistrEdge's devices ran TensorRT FP16. The other groups have a TX2 or
    # a Pi, whose fp16 figures we cannot cite, so the main groups stay fp32 to compare alike.
    os.makedirs("benchmarks/scenarios/distredge/fp16", exist_ok=True)
    for name, group, desc, devices in paper_groups:
        if any(k not in FP16 for k, _ in devices):
            continue
        fname = f"{name}-fp16"
        sc = scenario(fname, desc + ", fp16 (TensorRT-style, calibrated profiles)", devices)
        sc["precision"]["activations"] = "fp16"
        for d in sc["devices"]:
            if "profile" in d:
                d["profile"] = "../" + d["profile"].replace(".json", "-fp16.json")
        with open(f"benchmarks/scenarios/distredge/fp16/{fname}.json", "w") as f:
            json.dump(sc, f, indent=2)
            f.write("\n")
        entries.append({"scenario": f"scenarios/distredge/fp16/{fname}.json", "group": group + "-fp16", "quick": False})
    # The placement before issue 14 (the image on the first provider, no requester) as a variant.
    os.makedirs("benchmarks/scenarios/distredge/onboard", exist_ok=True)
    for name, group, desc, devices in paper_groups:
        oname = f"{name}-onboard"
        sc = scenario(oname, desc, devices, requester=False)
        for d in sc["devices"]:
            d["profile"] = "../" + d["profile"]
        with open(f"benchmarks/scenarios/distredge/onboard/{oname}.json", "w") as f:
            json.dump(sc, f, indent=2)
            f.write("\n")
        entries.append({"scenario": f"scenarios/distredge/onboard/{oname}.json", "group": group + "-onboard", "quick": oname in quick})
    for extra, group, q in [("default", "beyond", True), ("jetsons-1gbit", "beyond", True), ("ethernet-switched", "beyond", False),
                            ("wifi-shared-5mbps", "beyond", True), ("device-edge-cloud", "beyond", False),
                            ("measured-matrix", "beyond", False), ("wifi-trace-drop", "beyond", True)]:
        entries.append({"scenario": f"scenarios/{extra}.json", "group": group, "quick": q})
    suite = {"format": "edgeplan.suite/v1",
             "planners": ["single", "equal", "modnn", "meddnn", "coedge", "deepthings", "deeperthings", "aofl",
                          "neurosurgeon", "opt"],
             "scenarios": entries}
    with open("benchmarks/suite.json", "w") as f:
        json.dump(suite, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
