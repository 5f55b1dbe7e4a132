"""ONNX's own checker on exported models: prints "ok <path>" or "FAIL <path>: <reason>" per model, one process.

usage: check_onnx.py MODEL.onnx ...
"""
import sys

import onnx
import onnx.checker

for path in sys.argv[1:]:
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        print("ok %s ir_version=%d opset=%d" % (path, model.ir_version, model.opset_import[0].version))
    except Exception as e:
        print("FAIL %s: %s" % (path, str(e).replace("\n", " ")))
