#!/usr/bin/python3
"""Writes the hostile ONNX files of testdata/malformed/onnx (run from the repository root with
Debian's python3-onnx).  Each must end with exit 2 and a located message, quickly and in little
memory; tests/cli/test_malformed.py runs them.
Files named fuzz_* are findings of the libFuzzer targets (tests/fuzz, docs/fuzzing.md), kept as
found; each once crashed the reader."""
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper

OUT = Path("testdata/malformed/onnx")


def linear_model(in_dims, inits=(), name="linear"):
    """X (double, in_dims) -> LinearRegressor -> Y."""
    x = helper.make_tensor_value_info("X", TensorProto.DOUBLE, in_dims)
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])
    node = helper.make_node("LinearRegressor", ["X"], ["Y"], domain="ai.onnx.ml",
                            coefficients=[1.0, 2.0, 3.0], intercepts=[0.5])
    g = helper.make_graph([node], name, [x], [y], initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])


def matmul_model(w):
    """X (double [N, 3]) -> MatMul W -> Y; W given as a TensorProto."""
    x = helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, 3])
    y = helper.make_tensor_value_info("Y", TensorProto.DOUBLE, [None, 1])
    node = helper.make_node("MatMul", ["X", "W"], ["Y"])
    g = helper.make_graph([node], "matmul", [x], [y], initializer=[w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def shared_tree(levels):
    """One TreeEnsembleRegressor tree whose node i sends both branches to node i+1: `levels`
    stored nodes that unshare into 2^levels."""
    n = levels + 1
    ids = list(range(n))
    modes = ["BRANCH_LEQ"] * levels + ["LEAF"]
    nxt = [i + 1 if i < levels else 0 for i in ids]
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 1])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])
    node = helper.make_node(
        "TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1,
        nodes_treeids=[0] * n, nodes_nodeids=ids, nodes_featureids=[0] * n, nodes_values=[0.5] * n,
        nodes_modes=modes, nodes_truenodeids=nxt, nodes_falsenodeids=nxt,
        target_treeids=[0], target_nodeids=[levels], target_ids=[0], target_weights=[1.0])
    g = helper.make_graph([node], "shared", [x], [y])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])


def identity_chain(n):
    """X -> Identity x n -> LinearRegressor: a graph `n` nodes deep."""
    x = helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, 3])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None, 1])
    nodes = [helper.make_node("Identity", ["X" if i == 0 else f"t{i - 1}"], [f"t{i}"]) for i in range(n)]
    nodes.append(helper.make_node("LinearRegressor", [f"t{n - 1}"], ["Y"], domain="ai.onnx.ml",
                                  coefficients=[1.0, 2.0, 3.0], intercepts=[0.5]))
    g = helper.make_graph(nodes, "chain", [x], [y])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])


def tensor(dims, raw_data=None, double_data=()):
    """A double initializer W with the given dims and data, unchecked."""
    t = TensorProto()
    t.name = "W"
    t.data_type = TensorProto.DOUBLE
    t.dims.extend(dims)
    if raw_data is not None:
        t.raw_data = raw_data
    t.double_data.extend(double_data)
    return t


def write(name, model):
    (OUT / name).write_bytes(model.SerializeToString())


def main():
    write("input_cols_zero.onnx", linear_model([None, 0]))
    write("input_cols_negative.onnx", linear_model([None, -3]))
    write("input_cols_huge.onnx", linear_model([None, 1 << 40]))
    short = tensor([3, 1], raw_data=np.array([1.0]).tobytes())
    write("raw_data_short.onnx", matmul_model(short))
    write("typed_data_short.onnx", matmul_model(tensor([3, 1], double_data=[1.0])))
    write("negative_dim.onnx", matmul_model(tensor([-1, 3], double_data=[1.0, 2.0, 3.0])))
    write("overflowing_dims.onnx", matmul_model(tensor([1 << 62, 1 << 62], double_data=[1.0, 2.0, 3.0])))
    write("shared_subtrees.onnx", shared_tree(60))
    write("deep_graph.onnx", identity_chain(6000))


if __name__ == "__main__":
    main()
