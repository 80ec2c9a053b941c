"""Independent ONNX check: the ONNX project's own checker (onnx.checker.check_model with
full_check, which adds strict shape inference) over every .onnx file under the given paths.
Exit code 1 if any file fails. Used by .ci/onnx-check; needs the python3-onnx package."""
import pathlib
import sys

import onnx

files = []
for arg in sys.argv[1:]:
    path = pathlib.Path(arg)
    files += sorted(path.rglob("*.onnx")) if path.is_dir() else [path]
if not files:
    sys.exit("onnx_check: no .onnx files under " + " ".join(sys.argv[1:]))

failed = 0
for path in files:
    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model, full_check=True)
        opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import if o.domain in ("", "ai.onnx", "com.microsoft"))
        print(f"ok    {path}  ir {model.ir_version}  {opsets}  {len(model.graph.node)} nodes")
    except Exception as error:  # noqa: BLE001 - report every failure, then fail the run
        failed += 1
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"FAIL  {path}  {type(error).__name__}: {first}")

print(f"onnx {onnx.__version__} checker: {len(files) - failed} of {len(files)} files pass")
sys.exit(1 if failed else 0)
