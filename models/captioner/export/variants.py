"""Export variants made from an fp32 ONNX file, as the public repositories ship them.

- `quantize_int8`: dynamic int8 quantization, the `*_quantized.onnx` files: every MatMul with a
  weight initializer becomes DynamicQuantizeLinear (uint8 activations, per tensor) + MatMulInteger
  with int8 weights (symmetric, per tensor) + the rescale. Convolutions stay float (the public files
  also quantize them, with ConvInteger; the loader does not care which ops a graph uses).
- `weights_fp16`: weights stored in float16, computed in float32 (Cast after each weight); graph
  inputs and outputs stay float32, like the public `*_fp16.onnx` files (keep_io_types).
- `io_fp16`: graph inputs and outputs in float16 (exports without keep_io_types, q4f16): the
  runtime must feed and read float16.
`tiny.Numerics` emulates each in PyTorch, for the reference outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# initializers this small are constants (scales, epsilon), not weights: they stay float32
MIN_WEIGHT_ELEMENTS = 16


def _save(model: onnx.ModelProto, dst: Path) -> None:
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def quantize_int8(src: Path, dst: Path) -> None:
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    nodes: list[onnx.NodeProto] = []
    for n in g.node:
        w = inits.get(n.input[1]) if n.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2 or w.data_type != TensorProto.FLOAT:
            nodes.append(n)
            continue
        wf = numpy_helper.to_array(w).astype(np.float32)
        w_scale = np.float32(np.abs(wf).max() / np.float32(127.0))
        wq = np.clip(np.round(wf / w_scale), -127, 127).astype(np.int8)
        p = f"{n.name or n.output[0]}/q"
        g.initializer.extend([
            numpy_helper.from_array(wq, f"{p}/w"),
            numpy_helper.from_array(np.array(0, np.int8), f"{p}/w_zp"),
            numpy_helper.from_array(np.array(w_scale, np.float32), f"{p}/w_scale"),
        ])
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [n.input[0]], [f"{p}/x", f"{p}/x_scale", f"{p}/x_zp"]),
            helper.make_node("MatMulInteger", [f"{p}/x", f"{p}/w", f"{p}/x_zp", f"{p}/w_zp"], [f"{p}/acc"]),
            helper.make_node("Cast", [f"{p}/acc"], [f"{p}/accf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{p}/x_scale", f"{p}/w_scale"], [f"{p}/scale"]),
            helper.make_node("Mul", [f"{p}/accf", f"{p}/scale"], [n.output[0]]),
        ]
    used = {i for n in nodes for i in n.input}
    kept = [t for t in g.initializer if t.name in used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept)
    _save(m, dst)


def weights_fp16(src: Path, dst: Path) -> None:
    m = onnx.load(src)
    g = m.graph
    casts = []
    for t in g.initializer:
        if t.data_type != TensorProto.FLOAT or int(np.prod(t.dims)) < MIN_WEIGHT_ELEMENTS:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), f"{t.name}/fp16")
        casts.append(helper.make_node("Cast", [half.name], [t.name], to=TensorProto.FLOAT))
        t.CopyFrom(half)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    _save(m, dst)


def io_fp16(src: Path, dst: Path) -> None:
    m = onnx.load(src)
    g = m.graph
    first, last = [], []
    for i in g.input:
        if i.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = f"{i.name}/f32"
        for n in g.node:
            for k, name in enumerate(n.input):
                if name == i.name:
                    n.input[k] = inner
        first.append(helper.make_node("Cast", [i.name], [inner], to=TensorProto.FLOAT))
        i.type.tensor_type.elem_type = TensorProto.FLOAT16
    for o in g.output:
        if o.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = f"{o.name}/f32"
        for n in g.node:
            for k, name in enumerate(n.output):
                if name == o.name:
                    n.output[k] = inner
            for k, name in enumerate(n.input):
                if name == o.name:
                    n.input[k] = inner
        last.append(helper.make_node("Cast", [inner], [o.name], to=TensorProto.FLOAT16))
        o.type.tensor_type.elem_type = TensorProto.FLOAT16
    nodes = first + list(g.node) + last
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]  # intermediate types changed names; let checkers infer them again
    _save(m, dst)
