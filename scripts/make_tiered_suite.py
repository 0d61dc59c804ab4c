#!/usr/bin/env python3
"""Writes D3-style three-tier scenarios (benchmarks/scenarios/tiered/) and
benchmarks/suite-tiered.json. Run from the repository root: python3 scripts/make_tiered_suite.py

The setting (ours; the D3 paper's testbed is not available to us, only its abstract): one
Raspberry Pi 4 holds the 8-bit image and gets the result; N Jetson Nano edge nodes on
a LAN; one A100 cloud server behind a backbone link. Rates: the Pi and the edge nodes reach
their LAN at the LAN rate (switched, full duplex); the device-edge hop is that LAN; the
edge-cloud backbone is swept over 10-200 Mbit/s (the issue's range). Latencies: 0.1 ms per
LAN hop and 0.05 ms per message (as benchmarks/scenarios/ethernet-switched.json), 10 ms one
way on the backbone (an assumed WAN hop, a sweep setting rather than a measurement)."""
import json
import os

P = "../../../profiles/modeled/"
MODELS = ["alexnet", "vgg16", "resnet50", "mobilenet_v2", "yolov2"]


def scenario(name, model, edges, lan, backbone, trace=None, image="uint8"):
    devices = [{"id": "pi4", "profile": P + "raspberry-pi-4.json"}]
    edge_ids = [f"edge-{i}" for i in range(edges)]
    devices += [{"id": e, "profile": P + "jetson-nano.json"} for e in edge_ids]
    devices.append({"id": "cloud", "profile": P + "cloud-a100.json"})
    rates = {"pi4": lan, **{e: lan for e in edge_ids}, "cloud": 10000}
    link = {"rate_mbps": backbone, "latency_ms": 10.0}
    if trace:
        link["trace"] = trace
    return {
        "format": "edgeplan.scenario/v1",
        "name": name,
        "description": (f"{model}: a Raspberry Pi 4 with the 8-bit image, {edges} Jetson Nano edge nodes on a "
                        f"{lan} Mbit/s LAN, an A100 cloud behind a {backbone} Mbit/s backbone"
                        + (" whose rate changes every 2 s (trace)" if trace else "")
                        + (f" The image is sent as {image} (a float tensor, as a PyTorch prototype sends it)" if image != "uint8" else "")
                        + " (D3-style three tiers)."),
        "model": {"name": model},
        "devices": devices,
        "precision": {"activations": "fp32", "input": image},
        "input_device": "pi4",
        "network": {
            "type": "tiered",
            "tiers": [{"name": "device", "devices": ["pi4"], "latency_ms": 0.1},
                      {"name": "edge", "devices": edge_ids, "latency_ms": 0.1},
                      {"name": "cloud", "devices": ["cloud"], "latency_ms": 0.1}],
            "rates_mbps": rates,
            "backbone": [{"rate_mbps": lan, "latency_ms": 0.1}, link],
            "overhead_ms": 0.05,
        },
    }


# The backbone trace of the re-planning benchmark: a new rate every 2 s (Mbit/s).
TRACE = [[0, 200], [2000, 50], [4000, 10], [6000, 100], [8000, 20], [10000, 200], [12000, 5], [14000, 150]]


def main():
    out = "benchmarks/scenarios/tiered"
    os.makedirs(out, exist_ok=True)
    entries = []
    settings = [(2, 1000, 50), (4, 1000, 50), (8, 1000, 50), (4, 1000, 10), (4, 1000, 200), (4, 100, 50)]
    quick = {("alexnet", 4, 1000, 50), ("resnet50", 4, 100, 50)}
    for model in MODELS:
        for edges, lan, backbone in settings:
            name = f"{model}-e{edges}-lan{lan}-bb{backbone}"
            with open(f"{out}/{name}.json", "w") as f:
                json.dump(scenario(name, model, edges, lan, backbone), f, indent=2)
                f.write("\n")
            entries.append({"scenario": f"scenarios/tiered/{name}.json", "group": f"tiered-{model}",
                            "quick": (model, edges, lan, backbone) in quick})
    # The image as a float tensor (4 bytes per element, as a PyTorch prototype like D3's sends
    # it) instead of an 8-bit camera frame: feature maps then undercut the image sooner.
    for model in MODELS:
        for backbone in (10, 50):
            name = f"{model}-e4-lan1000-bb{backbone}-fp32in"
            with open(f"{out}/{name}.json", "w") as f:
                json.dump(scenario(name, model, 4, 1000, backbone, image="fp32"), f, indent=2)
                f.write("\n")
            entries.append({"scenario": f"scenarios/tiered/{name}.json", "group": f"tiered-{model}-fp32in", "quick": False})
    for model in MODELS:
        name = f"{model}-e4-trace"
        with open(f"{out}/{name}.json", "w") as f:
            json.dump(scenario(name, model, 4, 1000, TRACE[0][1], trace=TRACE), f, indent=2)
            f.write("\n")
    suite = {"format": "edgeplan.suite/v1",
             "planners": ["single", "neurosurgeon", "edge-only", "cloud-only", "d3", "d3:search=exhaustive", "opt"],
             "scenarios": entries}
    with open("benchmarks/suite-tiered.json", "w") as f:
        json.dump(suite, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
