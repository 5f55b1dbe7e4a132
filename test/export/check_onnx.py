"""ONNX's own checker on exported models, and what their graphs compute where; one process for all models.

usage: check_onnx.py MODEL.onnx ...
Prints one JSON line per model: {"path", "ok", "error", "ir_version", "opset", "main": [op types of the main
graph], "input_readers": [op types of main-graph nodes that read "input"], "body_weights": [initializers that Scan
bodies read]}.
"""
import json
import sys

import onnx
import onnx.checker


def describe(path):
    out = {"path": path, "ok": False, "error": None}
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        out["ok"] = True
    except Exception as e:
        out["error"] = str(e).replace("\n", " ")
        return out
    g = model.graph
    initializers = {t.name for t in g.initializer}
    out["ir_version"] = model.ir_version
    out["opset"] = model.opset_import[0].version
    out["main"] = [n.op_type for n in g.node]
    out["input_readers"] = [n.op_type for n in g.node if "input" in n.input]
    body_weights = set()
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                body_weights.update(i for m in a.g.node for i in m.input if i in initializers)
    out["body_weights"] = sorted(body_weights)
    return out


for p in sys.argv[1:]:
    print(json.dumps(describe(p)))
