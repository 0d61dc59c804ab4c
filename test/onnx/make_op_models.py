#!/usr/bin/python3
"""Writes small ONNX models that use every operator edgeplan imports, at odd input sizes,
with random weights (numpy seed 1): the ONNX tests import them, run them on edgeplan's CPU
executor and on ONNX Runtime, and verify random split plans of them.

usage: make_op_models.py OUTDIR     (needs Debian's python3-onnx and python3-numpy)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(1)


class Builder:
    def __init__(self, name, c, h, w):
        self.name, self.nodes, self.inits, self.n = name, [], [], 0
        self.input = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, c, h, w])

    def t(self, prefix="v"):
        self.n += 1
        return f"{prefix}{self.n}"

    def const(self, array, name=None):
        name = name or self.t("w")
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, **attrs):
        out = self.t()
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"{op_type.lower()}_{self.n}", **attrs))
        return out

    def conv(self, x, cin, cout, k, group=1, bias=True, **attrs):
        w = self.const((rng.standard_normal((cout, cin // group, k, k)) / np.sqrt(cin // group * k * k)).astype(np.float32))
        ins = [x, w] + ([self.const(rng.uniform(-0.1, 0.1, cout).astype(np.float32))] if bias else [])
        return self.op("Conv", ins, kernel_shape=[k, k], group=group, **attrs)

    def bn(self, x, c):
        f = lambda lo, hi: self.const(rng.uniform(lo, hi, c).astype(np.float32))
        return self.op("BatchNormalization", [x, f(0.5, 1.5), f(-0.2, 0.2), f(-0.2, 0.2), f(0.5, 2.0)], epsilon=1e-3)

    def save(self, out, outdir, opset, shape=None):
        graph = helper.make_graph(self.nodes, self.name, [self.input], [], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_op_models.py")
        model.ir_version = 8
        # The output's shape as ONNX's own shape inference finds it.
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
        found = [vi for vi in inferred.graph.value_info if vi.name == out and vi.type.tensor_type.HasField("shape")]
        model.graph.output.extend(found or [helper.make_tensor_value_info(out, TensorProto.FLOAT, shape)])
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, os.path.join(outdir, self.name + ".onnx"))


def convs(outdir):
    """Padding in every form, groups, dilation, pooling modes, activations, add / mul / concat, a head."""
    b = Builder("ops_convs", 3, 23, 19)
    p = b.op("Pad", ["image", b.const(np.array([0, 0, 1, 2, 0, 0, 0, 1], np.int64))], mode="constant")
    x = b.conv(p, 3, 8, 3, strides=[2, 1])                           # zero Pad folded into the Conv
    x = b.op("Clip", [b.bn(x, 8), b.const(np.float32(0)), b.const(np.float32(6))])  # ReLU6
    y = b.conv(x, 8, 8, 3, auto_pad="SAME_UPPER", strides=[2, 2])     # asymmetric SAME padding
    y = b.op("LeakyRelu", [y], alpha=0.2)
    z = b.conv(y, 8, 8, 3, group=8, dilations=[2, 2], pads=[2, 2, 2, 2], bias=False)  # depthwise, dilated
    z = b.op("HardSwish", [z])
    s = b.op("Sigmoid", [b.conv(y, 8, 8, 1)])
    m = b.op("Mul", [z, s])
    a = b.op("Add", [m, y])
    q = b.op("MaxPool", [a], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    r = b.op("AveragePool", [a], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
    c = b.op("Concat", [q, r], axis=1)
    c = b.op("HardSigmoid", [b.conv(c, 16, 12, 3, pads=[1, 1, 1, 1])], alpha=0.3, beta=0.4)
    c = b.op("AveragePool", [c], kernel_shape=[3, 3], strides=[1, 1], pads=[0, 1, 1, 0], count_include_pad=0)
    c = b.op("Clip", [c, b.const(np.float32(0.1)), b.const(np.float32(0.6))])
    g = b.op("GlobalAveragePool", [c])
    f = b.op("Flatten", [g], axis=1)
    f = b.op("Gemm", [f, b.const(rng.standard_normal((12, 10)).astype(np.float32)), b.const(rng.standard_normal(10).astype(np.float32))],
             alpha=0.5, beta=2.0)                                     # transB = 0
    f = b.op("Relu", [f])
    f = b.op("MatMul", [f, b.const(rng.standard_normal((10, 7)).astype(np.float32))])
    out = b.op("Add", [f, b.const(rng.standard_normal(7).astype(np.float32))])  # MatMul + Add = Linear with bias
    b.save(out, outdir, 14)


def upsampling(outdir):
    """Resize in two coordinate modes, pixel-unshuffle, Sum, ReduceMean, shape arithmetic, a Reshape head."""
    b = Builder("ops_upsampling", 4, 9, 7)
    x = b.op("Relu", [b.conv("image", 4, 6, 3, pads=[1, 1, 1, 1])])
    u = b.op("Resize", [x, "", b.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    u = b.conv(u, 6, 6, 3, pads=[1, 1, 1, 1])
    v = b.op("Resize", [u, "", "", b.const(np.array([1, 6, 54, 42], np.int64))], mode="nearest",
             coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_floor")  # x3
    v = b.op("Dropout", [b.op("Identity", [v])])
    r = b.op("Reshape", [v, b.const(np.array([1, 6, 27, 2, 21, 2], np.int64))])
    r = b.op("Transpose", [r], perm=[0, 1, 3, 5, 2, 4])
    r = b.op("Reshape", [r, b.const(np.array([1, 24, 27, 21], np.int64))])  # pixel-unshuffle by 2
    k = b.conv(r, 24, 8, 3, strides=[3, 3])
    t = b.op("Sum", [k, b.op("Sigmoid", [k]), b.op("Relu", [k])])
    m = b.op("ReduceMean", [t], axes=[2, 3], keepdims=1)
    shape = b.op("Shape", [m])
    n = b.op("Gather", [shape, b.const(np.array(0, np.int64))], axis=0)
    target = b.op("Concat", [b.op("Unsqueeze", [n, b.const(np.array([0], np.int64))]), b.const(np.array([-1], np.int64))], axis=0)
    f = b.op("Reshape", [m, target])
    out = b.op("Gemm", [f, b.const(rng.standard_normal((5, 8)).astype(np.float32))], transB=1)
    b.save(out, outdir, 13, [1, 5])


def constants(outdir):
    """Weights from Constant nodes, opset 11 Clip, input normalization and other per-channel
    constants (Sub, Mul, Add, constant minus map), a body without a head (the output is a map)."""
    b = Builder("ops_constants", 2, 15, 16)
    x = b.op("Sub", ["image", b.const(np.array([0.1, -0.2], np.float32).reshape(1, 2, 1, 1))])
    x = b.op("Mul", [x, b.const(np.array([1.5, 0.75], np.float32).reshape(2, 1, 1))])
    w = b.t("c")
    b.nodes.append(helper.make_node("Constant", [], [w], value=numpy_helper.from_array(rng.standard_normal((5, 2, 3, 3)).astype(np.float32))))
    x = b.op("Conv", [x, w], kernel_shape=[3, 3], pads=[0, 1, 2, 1], strides=[1, 2])
    x = b.op("Add", [b.const(np.float32(0.05)), x])
    x = b.op("Sub", [b.const(np.float32(0.3)), x])
    x = b.op("Clip", [x, b.const(np.float32(-0.5)), b.const(np.float32(0.7))])
    x = b.op("MaxPool", [x], kernel_shape=[2, 3], strides=[2, 2], pads=[0, 1, 1, 1])
    out = b.op("Relu", [x])
    b.save(out, outdir, 11)


def shuffle(outdir):
    """ShuffleNet's unit: Split along channels, a branch, Concat, channel shuffle, a channel Slice."""
    b = Builder("ops_shuffle", 3, 13, 10)
    x = b.op("Relu", [b.conv("image", 3, 8, 3, pads=[1, 1, 1, 1])])
    halves = [b.t("half"), b.t("half")]
    b.nodes.append(helper.make_node("Split", [x, b.const(np.array([4, 4], np.int64))], halves, name="split", axis=1))
    y = b.op("Relu", [b.conv(halves[1], 4, 4, 3, pads=[1, 1, 1, 1])])
    c = b.op("Concat", [halves[0], y], axis=1)
    r = b.op("Reshape", [c, b.const(np.array([1, 2, 4, 13, 10], np.int64))])
    r = b.op("Transpose", [r], perm=[0, 2, 1, 3, 4])
    r = b.op("Reshape", [r, b.const(np.array([1, 8, 13, 10], np.int64))])
    s = b.op("Slice", [r, b.const(np.array([2], np.int64)), b.const(np.array([7], np.int64)), b.const(np.array([1], np.int64))])
    out = b.conv(s, 5, 6, 3, strides=[2, 2])
    b.save(out, outdir, 13)


def squeeze_excitation(outdir):
    """Squeeze-and-excitation as torchvision's MobileNetV3 (GlobalAveragePool, 1x1 convolutions,
    HardSigmoid, Mul) and EfficientNet (ReduceMean, SiLU as x * sigmoid(x), Sigmoid, the vector
    first in Mul) export it, inside the body: spatial barriers before a classifier head."""
    b = Builder("ops_se", 3, 21, 17)
    x = b.op("HardSwish", [b.bn(b.conv("image", 3, 8, 3, strides=[2, 2], pads=[1, 1, 1, 1], bias=False), 8)])
    s = b.op("GlobalAveragePool", [x])
    s = b.op("Relu", [b.conv(s, 8, 4, 1)])
    s = b.op("HardSigmoid", [b.conv(s, 4, 8, 1)], alpha=1.0 / 6, beta=0.5)
    x = b.op("Mul", [x, s])
    y = b.conv(x, 8, 8, 3, group=8, pads=[1, 1, 1, 1])
    y = b.op("Mul", [y, b.op("Sigmoid", [y])])                      # SiLU
    s = b.op("ReduceMean", [y], axes=[2, 3], keepdims=1)
    s = b.conv(s, 8, 2, 1)
    s = b.op("Mul", [s, b.op("Sigmoid", [s])])
    s = b.op("Sigmoid", [b.conv(s, 2, 8, 1)])
    y = b.op("Mul", [s, y])                                          # the vector first
    y = b.op("Add", [b.conv(y, 8, 8, 1), x])
    y = b.op("MaxPool", [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    g = b.op("GlobalAveragePool", [b.conv(y, 8, 12, 1)])           # the classifier's pooling
    f = b.op("Flatten", [g], axis=1)
    out = b.op("Gemm", [f, b.const(rng.standard_normal((6, 12)).astype(np.float32))], transB=1)
    b.save(out, outdir, 14)


def arithmetic(outdir):
    """Hard-swish as exporters before opset 14 write it (x * clip(x + 3, 0, 6) / 6), Sub of two
    maps, Div by a per-channel constant."""
    b = Builder("ops_arith", 3, 12, 13)
    x = b.conv("image", 3, 6, 3, pads=[1, 0, 1, 0])
    h = b.op("Clip", [b.op("Add", [x, b.const(np.float32(3))]), b.const(np.float32(0)), b.const(np.float32(6))])
    h = b.op("Div", [b.op("Mul", [x, h]), b.const(np.float32(6))])
    d = b.op("Sub", [h, b.conv(x, 6, 6, 1)])
    e = b.op("Div", [d, b.const(np.array([0.5, 2, -4, 1.5, 3, 0.25], np.float32).reshape(1, 6, 1, 1))])
    e = b.op("Sub", [b.conv(e, 6, 6, 3, strides=[2, 2]), b.op("MaxPool", [e], kernel_shape=[3, 3], strides=[2, 2])])
    out = b.op("Relu", [e])
    b.save(out, outdir, 11)


def transposed(outdir):
    """ConvTranspose as PyTorch exports it: the 2x upsampling of decoders (k3 s2 p1 output_padding
    1, k4 s2 p1 grouped), taps that skip outputs (k1 s2), dilation, asymmetric pads, no bias."""
    b = Builder("ops_transpose", 3, 11, 9)
    x = b.op("Relu", [b.conv("image", 3, 8, 3, strides=[2, 2], pads=[1, 1, 1, 1])])          # 8x6x5
    w = lambda cin, cout, kh, kw: b.const((rng.standard_normal((cin, cout, kh, kw)) / np.sqrt(cin * kh * kw)).astype(np.float32))
    bias = lambda c: b.const(rng.uniform(-0.1, 0.1, c).astype(np.float32))
    u = b.op("ConvTranspose", [x, w(8, 6, 3, 3), bias(6)], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
             output_padding=[1, 0])                                                        # 6x12x9
    u = b.op("Relu", [u])
    v = b.op("ConvTranspose", [u, w(6, 2, 4, 4), bias(4)], strides=[2, 2], pads=[1, 1, 1, 1], group=2)  # 4x24x18
    s = b.op("ConvTranspose", [b.conv(v, 4, 4, 3, strides=[3, 3]), w(4, 4, 1, 3)], strides=[2, 1], pads=[0, 2, 0, 0],
             dilations=[1, 2])                                                             # gaps along rows
    t = b.op("ConvTranspose", [s, w(4, 5, 3, 2), bias(5)], strides=[3, 1], pads=[0, 1, 2, 0], output_padding=[2, 0])
    out = b.conv(b.op("LeakyRelu", [t], alpha=0.1), 5, 3, 3, pads=[1, 1, 1, 1])
    b.save(out, outdir, 13)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for make in (convs, upsampling, constants, shuffle, squeeze_excitation, arithmetic, transposed):
        make(sys.argv[1])
