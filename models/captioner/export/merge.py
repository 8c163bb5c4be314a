"""Merge `decoder_model.onnx` and `decoder_with_past_model.onnx` into `decoder_model_merged.onnx`.

The merged file is what Hugging Face Optimum and transformers.js use: one graph whose `If` node
runs the with-past branch when the boolean input `use_cache_branch` is true and the first-step
branch otherwise; weights equal in both exports are stored once; its inputs are the union of both
graphs'. A seq2seq decoder's first step also outputs the encoder's keys and values
(`present.{i}.encoder.*`), which its with-past graph does not: that branch returns a constant empty
tensor for them, shaped as Optimum does (0 rows, static dims kept, dynamic dims 1) - and a runtime
must not take those for the real encoder cache. (Idea from Optimum's `merge_decoders`; written here
for our graphs with the `onnx` helper API.)
"""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper, numpy_helper


def _branch(graph: onnx.GraphProto, prefix: str, outer: set[str], init_names: dict[str, str]) -> onnx.GraphProto:
    """The graph as an If branch: no inputs (outer-scope values are captured by name), weights
    renamed to their shared outer names, every other value prefixed so the branches cannot clash."""

    def name(n: str) -> str:
        if not n or n in outer:
            return n
        return init_names.get(n, prefix + n)

    nodes = []
    for k, node in enumerate(graph.node):
        new = onnx.NodeProto()
        new.CopyFrom(node)
        new.name = prefix + (node.name or f"{node.op_type}_{k}")
        del new.input[:]
        new.input.extend(name(i) for i in node.input)
        del new.output[:]
        new.output.extend(name(o) for o in node.output)
        nodes.append(new)
    outputs = []
    for o in graph.output:
        v = onnx.ValueInfoProto()
        v.CopyFrom(o)
        v.name = name(o.name)
        outputs.append(v)
    return helper.make_graph(nodes, prefix + "branch", [], outputs)


def merge_decoders(first_path: Path, past_path: Path, out_path: Path) -> None:
    first, past = onnx.load(first_path), onnx.load(past_path)
    shared: dict[bytes, str] = {}
    initializers: list[onnx.TensorProto] = []
    names: dict[str, dict[str, str]] = {"past": {}, "first": {}}
    for key, g in (("past", past.graph), ("first", first.graph)):
        for t in g.initializer:
            sig = t.data_type.to_bytes(4, "little") + bytes(str(list(t.dims)), "ascii") + t.raw_data
            if not t.raw_data:
                sig += numpy_helper.to_array(t).tobytes()
            if sig not in shared:
                shared[sig] = f"w{len(shared)}"
                copy = onnx.TensorProto()
                copy.CopyFrom(t)
                copy.name = shared[sig]
                initializers.append(copy)
            names[key][t.name] = shared[sig]
    past_names = {i.name for i in past.graph.input}
    inputs = list(past.graph.input) + [i for i in first.graph.input if i.name not in past_names]
    outer = {i.name for i in inputs}
    then_branch = _branch(past.graph, "past/", outer, names["past"])
    else_branch = _branch(first.graph, "first/", outer, names["first"])
    outputs = list(first.graph.output)
    # the with-past branch must give every output, in the first branch's order
    have = {o.name.removeprefix("past/"): o for o in then_branch.output}
    del then_branch.output[:]
    for o in outputs:
        if o.name in have:
            then_branch.output.append(have[o.name])
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in o.type.tensor_type.shape.dim]
        empty = helper.make_tensor(f"past/empty_{o.name}", o.type.tensor_type.elem_type, [0, *dims[1:]], [])
        then_branch.node.append(helper.make_node("Constant", [], [f"past/{o.name}"], value=empty))
        out = onnx.ValueInfoProto()
        out.CopyFrom(o)
        out.name = f"past/{o.name}"
        then_branch.output.append(out)
    use_cache = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    if_node = helper.make_node(
        "If", ["use_cache_branch_scalar"], [o.name for o in outputs],
        name="optimum::if", then_branch=then_branch, else_branch=else_branch,
    )
    squeeze = helper.make_node("Squeeze", ["use_cache_branch"], ["use_cache_branch_scalar"], name="use_cache_squeeze")
    graph = helper.make_graph([squeeze, if_node], "merged_decoder", inputs + [use_cache], outputs, initializers)
    model = helper.make_model(graph, opset_imports=past.opset_import, producer_name="caption-studio")
    model.ir_version = past.ir_version
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
