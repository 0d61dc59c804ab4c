#!/usr/bin/env python3
"""Writes profiles/modeled/*.json from published peak figures (see docs/cost-model.md).

These are models of devices that are not on our machines; each file says so and names
its sources. Run from the repository root: python3 scripts/make_modeled_profiles.py
"""
import json
import os

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


def main():
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


if __name__ == "__main__":
    main()
