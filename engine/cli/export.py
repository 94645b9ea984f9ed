"""`posetalk export`: the model to an ONNX bundle (``onnx``), and a bundle against PyTorch (``check``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from posetalk.cli.options import ONNX_EXTRA, add_model_arguments, model_files_from_args, onnx_importable
from posetalk.errors import PosetalkError

if TYPE_CHECKING:
    from posetalk.pipeline.model_files import ModelFiles


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export the model to ONNX and check the export",
                                   description="Model bundles for the onnxruntime backend (see docs/export.md).")
    commands = parser.add_subparsers(dest="export_command", required=True, metavar="FORMAT")
    onnx = commands.add_parser("onnx", help="write an ONNX bundle: the graphs, manifest.json and the arrays",
                               description="Exports the audio encoder, the memory encoding and the denoiser step "
                               "(opset 18, dynamic batch) into a new bundle folder.")
    add_model_arguments(onnx)
    onnx.add_argument("-o", "--output", type=Path, required=True, metavar="BUNDLE", help="the new bundle folder")
    onnx.add_argument("--fp16", action="store_true", help="half precision for the memory and denoiser graphs")
    onnx.set_defaults(run=run_onnx)
    check = commands.add_parser("check", help="run each graph against the PyTorch model and report deviations",
                                description="Runs every graph with ONNX Runtime and the model it was exported from "
                                "with PyTorch on fixed inputs; exit status 1 beyond the precision's tolerance.")
    check.add_argument("bundle", type=Path, metavar="BUNDLE")
    check.add_argument("--checkpoint", type=Path, help="the source checkpoint (default: the one the manifest names); "
                       "a cached bundle, keyed by its weights, takes any checkpoint holding them")
    check.add_argument("--json", action="store_true", help="end with one line of JSON")
    check.set_defaults(run=run_check)


def _require_onnx() -> None:
    if not onnx_importable():
        raise PosetalkError(f"exporting needs onnx, onnxscript and onnxruntime: {ONNX_EXTRA}")


def run_onnx(args: argparse.Namespace) -> int:
    from posetalk.cli.outputs import writable_folder

    _require_onnx()
    if args.output.exists():
        raise PosetalkError(f"{args.output} exists; choose a new bundle folder")
    writable_folder(args.output.parent)
    from posetalk.checkpoint.models import load_denoiser
    from posetalk.export.bundle import sha256
    from posetalk.export.write import export_bundle

    files = model_files_from_args(args)
    if files.bundle is not None:
        raise PosetalkError(f"{files.bundle}: already a model bundle; export from a checkpoint or a model folder")
    checkpoint = files.checkpoint
    try:
        bundle = export_bundle(load_denoiser(checkpoint), args.output, sha256(checkpoint), "fp16" if args.fp16 else "fp32",
                               checkpoint, _companions(files))
    except ValueError as error:
        raise PosetalkError(f"{checkpoint}: cannot export: {error}") from None
    for name, entry in bundle.graphs.items():
        print(f"{name:8} {entry.file}  {entry.precision}  {entry.file.stat().st_size / 1e6:.1f} MB")
    print(f"posetalk: wrote {bundle.folder} (opset {bundle.opset}); `posetalk export check {bundle.folder}` compares it, "
          f"`--model-dir {bundle.folder}` runs it")
    return 0


def _companions(files: ModelFiles) -> dict[str, Path]:
    """The model's other files, under their model-folder names, so the bundle is a model folder:
    statistics, identity, the default style and the style presets (those that exist)."""
    from posetalk.pipeline.model_files import SHAPE_FILE, STATS_FILE, STYLE_FILE, STYLES_FOLDER

    chosen = {STATS_FILE: files.stats, SHAPE_FILE: files.shape, STYLE_FILE: files.style}
    if files.styles is not None:
        chosen |= {f"{STYLES_FOLDER}/{preset.name}": preset for preset in sorted(files.styles.glob("*.npy"))}
    return {name: path for name, path in chosen.items() if path is not None and path.is_file()}


def run_check(args: argparse.Namespace) -> int:
    _require_onnx()
    from posetalk.backends.onnx_cache import weights_sha256
    from posetalk.backends.onnxruntime_backend import OnnxRuntimeBackend
    from posetalk.checkpoint.models import load_denoiser
    from posetalk.export.bundle import load_bundle, sha256
    from posetalk.export.check import TOLERANCE, check_bundle

    bundle = load_bundle(args.bundle)
    checkpoint = args.checkpoint or bundle.source_checkpoint
    if checkpoint is None or not checkpoint.is_file():
        raise PosetalkError(f"{args.bundle}: its source checkpoint {checkpoint} is not here; name it with --checkpoint")
    model = load_denoiser(checkpoint)
    if bundle.source_sha256 not in (sha256(checkpoint), weights_sha256(model)):
        raise PosetalkError(f"{checkpoint}: not the checkpoint {args.bundle} was exported from (SHA-256 differs)")
    deviations = check_bundle(OnnxRuntimeBackend(bundle), model)
    tolerance = TOLERANCE[bundle.precision]
    for name, d in deviations.items():
        print(f"{name:8} max_abs_diff {d.max_abs_diff:.3e}  mean_abs_diff {d.mean_abs_diff:.3e}")
    passed = all(d.max_abs_diff <= tolerance for d in deviations.values())
    print(f"posetalk: {'within' if passed else 'BEYOND'} the {bundle.precision} tolerance {tolerance:g}")
    if args.json:
        models = {name: {"max_abs_diff": d.max_abs_diff, "mean_abs_diff": d.mean_abs_diff} for name, d in deviations.items()}
        print(json.dumps({"bundle": str(bundle.folder), "precision": bundle.precision, "tolerance": tolerance,
                          "passed": passed, "models": models}))
    return 0 if passed else 1
