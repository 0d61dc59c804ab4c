#!/usr/bin/env python3
"""Writes profiles/modeled/*.json from published peak figures (see docs/cost-model.md).

These are models of devices that are not on our machines; each file says so and names
its sources. Run from the repository root: python3 scripts/make_modeled_profiles.py
With --calibrate build/bin/edgeplan it also writes the calibrated variants (CALIBRATED):
the device at another precision whose conv efficiency is set (bisection) so that the
whole-model latency of a published figure is reproduced, and prints predicted vs
published for every cited figure (the table in docs/cost-model.md).
"""
import argparse
import json
import os
import re
import subprocess
import tempfile

# name, kind, memory MB, peak fp32 GFLOPS, memory GB/s (published), saturation MMACs,
# beta, wave outputs, conv efficiency, per-layer overhead ms, sources
DEVICES = [
    ("jetson-nano", "gpu", 4096, 236.0, 25.6, 20, 0.6, 2048, 0.50, 0.05,
     ["NVIDIA Jetson Nano module data sheet (DA-09366-001): 128-core Maxwell GPU at 921 MHz "
      "(128 x 2 FLOP x 0.921 GHz = 236 GFLOPS fp32), 4 GB 64-bit LPDDR4, 25.6 GB/s",
      "1 SM x 2048 resident threads per wave"]),
    ("jetson-tx2", "gpu", 8192, 665.6, 59.7, 40, 0.6, 4096, 0.50, 0.04,
     ["NVIDIA Jetson TX2 module data sheet (DA-08600-001): 256-core Pascal GPU at 1.3 GHz "
      "(665 GFLOPS fp32), 8 GB 128-bit LPDDR4, 59.7 GB/s",
      "2 SMs x 2048 resident threads per wave"]),
    ("jetson-xavier-nx", "gpu", 8192, 844.8, 51.2, 50, 0.6, 12288, 0.55, 0.03,
     ["NVIDIA Jetson Xavier NX module data sheet (DS-09693-001): 384-core Volta GPU at 1100 MHz "
      "(845 GFLOPS fp32), 8 GB 128-bit LPDDR4x, 51.2 GB/s",
      "6 SMs x 2048 resident threads per wave"]),
    ("jetson-agx-xavier", "gpu", 32768, 1410.0, 136.5, 80, 0.6, 16384, 0.55, 0.03,
     ["NVIDIA Jetson AGX Xavier module data sheet (DS-09654-001): 512-core Volta GPU at 1377 MHz "
      "(1.41 TFLOPS fp32), 32 GB 256-bit LPDDR4x, 136.5 GB/s",
      "8 SMs x 2048 resident threads per wave"]),
    ("raspberry-pi-3", "cpu", 1024, 19.2, 3.6, 1, 0.3, 0, 0.30, 0.02,
     ["Raspberry Pi 3 Model B product brief: BCM2837, 4x Cortex-A53 at 1.2 GHz, 1 GB LPDDR2 (900 MHz, 32-bit: 3.6 GB/s)",
      "Arm Cortex-A53 technical reference manual: 64-bit NEON datapath, assumed 4 fp32 FLOP per cycle per core "
      "(4 cores x 1.2 GHz x 4 = 19.2 GFLOPS)"]),
    ("raspberry-pi-4", "cpu", 4096, 48.0, 12.8, 1, 0.3, 0, 0.35, 0.015,
     ["Raspberry Pi 4 Model B product brief: BCM2711, 4x Cortex-A72 at 1.5 GHz, LPDDR4-3200 (32-bit: 12.8 GB/s)",
      "Arm Cortex-A72 software optimization guide: 128-bit NEON FMA, assumed 8 fp32 FLOP per cycle per core "
      "(4 cores x 1.5 GHz x 8 = 48 GFLOPS)"]),
    ("laptop-rtx3060", "gpu", 6144, 10940.0, 336.0, 300, 0.6, 46080, 0.60, 0.01,
     ["NVIDIA GeForce RTX 3060 Laptop GPU specifications: 3840 CUDA cores, boost 1.28-1.70 GHz depending on TGP "
      "(3840 x 2 x 1.425 GHz = 10.9 TFLOPS fp32 at a mid TGP), 6 GB GDDR6 192-bit, 336 GB/s",
      "30 SMs x 1536 resident threads per wave"]),
    ("edge-server-t4", "gpu", 16384, 8100.0, 320.0, 300, 0.6, 40960, 0.60, 0.01,
     ["NVIDIA T4 Tensor Core GPU data sheet: 8.1 TFLOPS fp32, 16 GB GDDR6, 320 GB/s",
      "40 SMs x 1024 resident threads per wave"]),
    ("cloud-a100", "gpu", 40960, 19500.0, 1555.0, 800, 0.6, 221184, 0.65, 0.008,
     ["NVIDIA A100 Tensor Core GPU data sheet: 19.5 TFLOPS fp32, 40 GB HBM2, 1555 GB/s",
      "108 SMs x 2048 resident threads per wave"]),
]

# Efficiency of each cost class relative to the conv efficiency, and overhead multipliers.
KIND_SCALE = {"conv": (1.0, 1.0), "depthwise": (0.25, 1.0), "linear": (0.5, 1.0), "pool": (0.3, 0.5), "eltwise": (0.3, 0.4)}
SUSTAINED_MEMORY = 0.7  # fraction of published memory bandwidth reached in practice


# Calibrated variants: (name, base device, precision, peak GFLOPS at that precision, peak
# source, [(model, input, published ms, source)]): the first figure calibrates, the others check.
NANO_TRT = ("NVIDIA, \"Jetson Nano: Deep Learning Inference Benchmarks\" "
            "(developer.nvidia.com/embedded/jetson-nano-dl-inference-benchmarks): TensorRT, FP16, batch 1")
# torch2trt's published tables: torchvision models through TensorRT, fp16_mode, batch 1,
# 224x224, latency in ms (github.com/NVIDIA-AI-IOT/torch2trt, docs/benchmarks/).
T2T_NANO = "NVIDIA-AI-IOT/torch2trt, docs/benchmarks/jetson_nano.md: TensorRT fp16, batch 1, 224x224"
T2T_XAVIER = "NVIDIA-AI-IOT/torch2trt, docs/benchmarks/jetson_xavier.md (Jetson AGX Xavier): TensorRT fp16, batch 1, 224x224"
IN = [3, 224, 224]
CALIBRATED = [
    ("jetson-nano-fp16", "jetson-nano", "fp16", 472.0,
     "Maxwell GPU executes fp16 at twice the fp32 rate: 2 x 236 = 472 GFLOPS (Jetson Nano data sheet DA-09366-001)",
     [("resnet50", IN, 1000.0 / 36, NANO_TRT + ": ResNet-50 224x224, 36 images/s"),
      ("resnet50", IN, 29.8, T2T_NANO + ": ResNet-50 29.8 ms"),
      ("vgg16", IN, 85.1, T2T_NANO + ": VGG16 85.1 ms"),
      ("resnet18", IN, 11.4, T2T_NANO + ": ResNet-18 11.4 ms"),
      ("alexnet", IN, 14.7, T2T_NANO + ": AlexNet 14.7 ms")]),
    ("jetson-agx-xavier-fp16", "jetson-agx-xavier", "fp16", 11000.0,
     "Jetson AGX Xavier data sheet (DS-09654-001): 512-core Volta GPU with 64 Tensor Cores, 11 TFLOPS fp16",
     [("resnet50", IN, 3.37, T2T_XAVIER + ": ResNet-50 3.37 ms"),
      ("vgg16", IN, 7.46, T2T_XAVIER + ": VGG16 7.46 ms"),
      ("resnet18", IN, 1.64, T2T_XAVIER + ": ResNet-18 1.64 ms"),
      ("mobilenet_v2", IN, 1.67, T2T_XAVIER + ": MobileNetV2 1.67 ms"),
      ("alexnet", IN, 2.02, T2T_XAVIER + ": AlexNet 2.02 ms")]),
]


def predicted_ms(edgeplan, profile_path, model, shape):
    """Whole-model latency of `model` on one device with this profile, from edgeplan's simulator."""
    with tempfile.TemporaryDirectory() as tmp:
        scen = os.path.join(tmp, "s.json")
        with open(scen, "w") as f:
            json.dump({"format": "edgeplan.scenario/v1", "name": "calibrate", "model": {"name": model, "input": shape},
                       "devices": [{"id": "d", "profile": os.path.abspath(profile_path)}],
                       "network": {"type": "switched", "rates_mbps": 1000}}, f)
        out = subprocess.run([edgeplan, "plan", "--scenario", scen, "--planner", "single", "-o", os.path.join(tmp, "p.json")],
                             capture_output=True, text=True, check=True).stdout
        return float(re.search(r"end-to-end latency ([0-9.]+) ms", out).group(1))


def calibrate(edgeplan, out_dir):
    rows = []
    for (name, base, precision, gflops, peak_source, figures) in CALIBRATED:
        with open(os.path.join(out_dir, base + ".json")) as f:
            prof = json.load(f)
        prof["name"] = name
        prof["precision"] = precision
        prof["fallback"]["peak_gmacs"] = gflops / 2
        base_eff = {k: v["efficiency"] for k, v in prof["fallback"]["kinds"].items()}
        base_ovh = {k: v["overhead_ms"] for k, v in prof["fallback"]["kinds"].items()}
        model, shape, target, source = figures[0]
        path = os.path.join(out_dir, name + ".json")
        lo, hi = 0.01, 8.0  # one factor: every kind's efficiency times it (capped at 1), its overhead divided by it
        for _ in range(40):
            mid = (lo + hi) / 2
            for k, e in base_eff.items():
                prof["fallback"]["kinds"][k]["efficiency"] = round(min(1.0, e * mid), 6)
                prof["fallback"]["kinds"][k]["overhead_ms"] = round(base_ovh[k] / mid, 6)
            with open(path, "w") as f:
                json.dump(prof, f, indent=2)
            if predicted_ms(edgeplan, path, model, shape) > target:
                lo = mid
            else:
                hi = mid
        conv = prof["fallback"]["kinds"]["conv"]["efficiency"]
        prof["provenance"]["sources"] = [peak_source] + [s for (_, _, _, s) in figures] + prof["provenance"]["sources"][1:]
        prof["provenance"]["notes"] = (f"Modeled, not measured: {base} at {precision} (peak {gflops:g} GFLOPS = {gflops / 2:g} GMAC/s), "
                                       f"every kind's efficiency multiplied and per-layer overhead divided by one factor so that {model} {shape[1]}x{shape[2]} takes {target:.1f} ms "
                                       f"as published (conv efficiency {conv:g} at saturation); the curve's shape is edgeplan's "
                                       "invented formula (docs/cost-model.md), not a measurement.")
        with open(path, "w") as f:
            json.dump(prof, f, indent=2)
            f.write("\n")
        for (m, shp, ms, src) in figures:
            rows.append((name, m, ms, predicted_ms(edgeplan, path, m, shp), src))
        for m in ("vgg16", "mobilenet_v2", "alexnet"):
            if any(fm == m for (fm, _, _, _) in figures):
                continue
            rows.append((name, m, None, predicted_ms(edgeplan, path, m, [3, 224, 224]), "(no published figure: prediction only)"))
    print("| profile | model | published ms | predicted ms | source |")
    print("|---|---|---|---|---|")
    for (name, m, pub, pred, src) in rows:
        print(f"| {name} | {m} | {'-' if pub is None else f'{pub:.2f}'} | {pred:.2f} | {src} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibrate", metavar="EDGEPLAN", help="edgeplan binary: also write the calibrated variants")
    args = ap.parse_args()
    out_dir = os.path.join("profiles", "modeled")
    os.makedirs(out_dir, exist_ok=True)
    for (name, kind, mem, gflops, gbs, sat, beta, wave, eff, overhead, sources) in DEVICES:
        kinds = {k: {"overhead_ms": round(overhead * o, 5), "efficiency": round(min(1.0, eff * e), 4)}
                 for k, (e, o) in KIND_SCALE.items()}
        profile = {
            "format": "edgeplan.profile/v1",
            "name": name,
            "kind": kind,
            "memory_mb": mem,
            "provenance": {
                "type": "modeled",
                "sources": sources + ["efficiency curve and kind factors: docs/cost-model.md (edgeplan's model, not a measurement)"],
                "notes": f"Modeled, not measured: peak {gflops:g} GFLOPS fp32 = {gflops / 2:g} GMAC/s, "
                         f"{SUSTAINED_MEMORY:.0%} of {gbs:g} GB/s sustained, conv efficiency {eff:g} at saturation.",
            },
            "fallback": {
                "peak_gmacs": gflops / 2,
                "memory_bandwidth_gbs": round(gbs * SUSTAINED_MEMORY, 3),
                "saturation_mmacs": sat,
                "beta": beta,
                "wave_outputs": wave,
                "kinds": kinds,
            },
        }
        with open(os.path.join(out_dir, name + ".json"), "w") as f:
            json.dump(profile, f, indent=2)
            f.write("\n")
    if args.calibrate:
        calibrate(args.calibrate, out_dir)


if __name__ == "__main__":
    main()
