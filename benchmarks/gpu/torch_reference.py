#!/usr/bin/env python3
"""PyTorch's monolithic latency of the zoo models on this GPU: the baseline that
benchmarks/gpu/gpu_bench compares the CUDA executor's one-device replay with.

fp32 with TF32 off (as the executor), batch 1, 3x224x224, cuDNN benchmark mode (it measures
and picks algorithms), eval mode under inference_mode; eager and replayed as a CUDA graph
(no launch overhead), the faster counts. torchvision's definitions of alexnet, vgg16,
resnet18, resnet50, mobilenet_v2 and googlenet (YOLOv2 has none there); their parameter
counts are printed so that a difference from the zoo's models shows. CUDA events, 20
warm-up runs, 100 timed runs, median and p10/p90."""
import json
import sys

import torch
import torchvision

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True

MODELS = {
    "alexnet": lambda: torchvision.models.alexnet(),
    "vgg16": lambda: torchvision.models.vgg16(),
    "resnet18": lambda: torchvision.models.resnet18(),
    "resnet50": lambda: torchvision.models.resnet50(),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(),
    "googlenet": lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True),
}


def quantile(sorted_ms, q):
    pos = q * (len(sorted_ms) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (pos - lo)


def timed(run, warmup=20, runs=100):
    for _ in range(warmup):
        run()
    torch.cuda.synchronize()
    ms = []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        stop.record()
        stop.synchronize()
        ms.append(start.elapsed_time(stop))
    ms.sort()
    return {"median_ms": quantile(ms, 0.5), "p10_ms": quantile(ms, 0.1), "p90_ms": quantile(ms, 0.9), "runs": runs}


def main():
    out = {
        "format": "edgeplan.torch-reference/v1",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu": torch.cuda.get_device_name(0),
        "settings": "fp32, TF32 off, batch 1, 3x224x224, cudnn.benchmark, eval + inference_mode; eager and CUDA graph",
        "models": [],
    }
    for name, make in MODELS.items():
        model = make().eval().cuda()
        x = torch.randn(1, 3, 224, 224, device="cuda")
        with torch.inference_mode():
            eager = timed(lambda: model(x))
            graph = None
            try:
                stream = torch.cuda.Stream()
                stream.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(stream):
                    for _ in range(3):
                        model(x)
                torch.cuda.current_stream().wait_stream(stream)
                g = torch.cuda.CUDAGraph()
                with torch.cuda.graph(g):
                    model(x)
                graph = timed(g.replay)
            except Exception as e:  # noqa: BLE001 - a model that cannot be captured keeps its eager time
                print(f"{name}: no CUDA graph ({e})", file=sys.stderr)
        best = min([t for t in (eager, graph) if t], key=lambda t: t["median_ms"])
        out["models"].append({
            "model": name,
            "params": sum(p.numel() for p in model.parameters()),
            "eager": eager,
            "cuda_graph": graph,
            "median_ms": best["median_ms"],
        })
        print(f"{name}: eager {eager['median_ms']:.3f} ms, graph {graph['median_ms'] if graph else float('nan'):.3f} ms",
              file=sys.stderr)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
