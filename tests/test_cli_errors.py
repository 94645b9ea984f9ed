"""Every sub-command answers a user's mistake with one line and a failing exit, never a traceback.

Each case runs the real command line in its own process, as a user types it: missing and corrupt
files, folders that are not model folders, outputs inside a file, numbers out of range, occupied
ports, addresses that are not addresses, devices that are not there. The cases run two at a time
(a model load costs seconds). Outputs in folders that do not exist yet are no mistake: those
folders are created, and the commands succeed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile

from posetalk.data import DATA_DIR, SPEECH_SAMPLE
from posetalk.pipeline.coefficients_file import load_coefficients, save_coefficients

SPEECH = str(SPEECH_SAMPLE)
MODEL = DATA_DIR / "model"
LIVE = ["live", "--no-window", "--no-server"]

CASES: dict[str, tuple[list[str], str]] = {
    # name: (arguments, words the error line must hold); {tmp} is a scratch folder holding
    # corrupt.wav, corrupt.npz, corrupt.pkl and a valid params.npz; {port} is a port another
    # program listens on
    "infer: missing audio": (["infer", "{tmp}/none.wav", "-o", "{tmp}/m.npz"], "no such audio file"),
    "infer: corrupt audio": (["infer", "{tmp}/corrupt.wav", "-o", "{tmp}/m.npz"], "not an audio file"),
    "infer: not a model folder": (["infer", SPEECH, "--model-dir", "{tmp}/none", "-o", "{tmp}/m.npz"],
                                  "no such model folder"),
    "infer: zero steps": (["infer", SPEECH, "--steps", "0", "-o", "{tmp}/m.npz"], "--steps"),
    "infer: unknown device": (["infer", SPEECH, "--device", "no-such-device", "-o", "{tmp}/m.npz"], "unknown device"),
    "infer: output inside a file": (["infer", SPEECH, "-o", "{tmp}/corrupt.wav/m.npz"], "cannot write here"),
    "export onnx: output inside a file": (["export", "onnx", "-o", "{tmp}/corrupt.wav/bundle"], "cannot write here"),
    "export onnx: output exists": (["export", "onnx", "-o", "{tmp}"], "exists"),
    "export check: missing bundle": (["export", "check", "{tmp}/none"], "no such bundle folder"),
    "export check: not a bundle": (["export", "check", "{tmp}"], "manifest.json"),
    "bench: zero streams": (["bench", "--streams", "0"], "--streams"),
    "render: missing audio": (["render", "{tmp}/none.wav", "-o", "{tmp}/v.mp4"], "no such audio file"),
    "render: zero fps": (["render", SPEECH, "--fps", "0", "-o", "{tmp}/v.mp4"], "--fps"),
    "render: corrupt coefficients": (["render", "--params", "{tmp}/corrupt.npz", "-o", "{tmp}/v.mp4"],
                                     "not a readable coefficient file"),
    "render: corrupt FLAME .npz": (["render", "--params", "{tmp}/params.npz", "--flame", "{tmp}/corrupt.npz",
                                    "-o", "{tmp}/v.mp4"], "not a readable"),
    "render: output inside a file": (["render", "--params", "{tmp}/corrupt.npz", "-o", "{tmp}/corrupt.wav/v.mp4"],
                                     "cannot write here"),
    "style: missing encoder": (["style", "extract", "{tmp}/none.npz", "--encoder", "{tmp}/e.pt", "--stats",
                                "{tmp}/s.npz", "-o", "{tmp}/s.npy"], "no such"),
    "style: corrupt clip": (["style", "extract", "{tmp}/corrupt.npz", "--encoder", str(MODEL / "style_encoder.pt"),
                             "--stats", str(MODEL / "stats.npz"), "-o", "{tmp}/s.npy"], "not a readable motion clip"),
    "view: missing coefficients": (["view", "{tmp}/none.npz"], "no such coefficient file"),
    "view: corrupt coefficients": (["view", "{tmp}/corrupt.npz"], "not a readable coefficient file"),
    "live: busy port": (["live", "--no-window", "--file", SPEECH, "--port", "{port}", "--duration", "2"],
                        "already in use"),
    "live: port out of range": (["live", "--no-window", "--file", SPEECH, "--port", "70000"], "port must be"),
    "live: missing microphone": (["live", "--no-window", "--mic", "no-such-microphone-xyz"], "microphone"),
    "live: missing file": ([*LIVE, "--file", "{tmp}/none.wav"], "no such audio file"),
    "live: corrupt file": ([*LIVE, "--file", "{tmp}/corrupt.wav"], "not an audio file"),
    "live: zero steps": ([*LIVE, "--file", SPEECH, "--steps", "0"], "steps"),
    "live: negative threads": ([*LIVE, "--file", SPEECH, "--threads", "-2"], "--threads"),
    "live: negative duration": ([*LIVE, "--file", SPEECH, "--duration", "-1"], "--duration"),
    "live: negative unheard silence": ([*LIVE, "--file", SPEECH, "--encode-unheard", "-5"], "unheard silence"),
    "live: unknown iFacialMocap host": ([*LIVE, "--file", SPEECH, "--ifacialmocap", "no-such-host.invalid"],
                                        "does not resolve"),
    "serve: busy port": (["serve", "--source", SPEECH, "--port", "{port}"], "already in use"),
    "serve: foreign interface": (["serve", "--source", SPEECH, "--host", "192.0.2.1", "--port", "0"],
                                 "not an address"),
    "serve: port out of range": (["serve", "--source", SPEECH, "--port", "70000"], "port must be"),
    "serve: no clients allowed": (["serve", "--source", SPEECH, "--max-clients", "0"], "at least 1"),
    "serve: nothing to stream": (["serve"], "nothing to stream"),
    "serve: missing coefficients": (["serve", "--params", "{tmp}/none.npz"], "no such coefficient file"),
    "serve: missing microphone": (["serve", "--source", "mic", "--mic", "no-such-microphone-xyz"], "microphone"),
    "serve: iFacialMocap port not a number": (["serve", "--source", SPEECH, "--ifacialmocap", "127.0.0.1:abc"],
                                              "not a number"),
    "serve: iFacialMocap port out of range": (["serve", "--source", SPEECH, "--ifacialmocap", "127.0.0.1:70000"],
                                              "1-65535"),
    "bridge vts: URL without scheme": (["bridge", "vts", "--vts-url", "localhost:8001", "--source", SPEECH],
                                       "not a WebSocket address"),
    "bridge vts: HTTP URL": (["bridge", "vts", "--vts-url", "http://x", "--source", SPEECH], "not a WebSocket address"),
    "bridge vts: port out of range": (["bridge", "vts", "--vts-url", "ws://localhost:99999", "--source", SPEECH],
                                      "invalid port"),
    "bridge vmc: unknown host": (["bridge", "vmc", "--vmc-host", "no-such-host.invalid", "--source", SPEECH],
                                 "does not resolve"),
    "bridge vmc: malformed host": (["bridge", "vmc", "--vmc-host", "no such host..", "--source", SPEECH],
                                   "not a host name"),
    "bridge vmc: port out of range": (["bridge", "vmc", "--vmc-port", "70000", "--source", SPEECH], "1-65535"),
    "bridge vmc: corrupt ARKit map": (["bridge", "vmc", "--params", "{tmp}/params.npz", "--map", "{tmp}/corrupt.npz"],
                                      "not a posetalk ARKit map"),
    "bridge: network audio": (["bridge", "vmc", "--source", "network"], "no network audio"),
    "bridge ifacialmocap: unknown host": (["bridge", "ifacialmocap", "--host", "no-such-host.invalid", "--source",
                                           SPEECH], "does not resolve"),
    "bridge ifacialmocap: malformed host": (["bridge", "ifacialmocap", "--host", "no such host..", "--source",
                                             SPEECH], "not a host name"),
    "bridge ifacialmocap: port out of range": (["bridge", "ifacialmocap", "--port", "0", "--source", SPEECH],
                                               "1-65535"),
    "map: missing FLAME": (["map", "fit", "--flame", "{tmp}/none.pkl", "-o", "{tmp}/m.npz"], "not found"),
    "map: corrupt FLAME": (["map", "fit", "--flame", "{tmp}/corrupt.pkl", "-o", "{tmp}/m.npz"],
                           "not a readable FLAME pickle"),
    "flame: missing FLAME": (["flame", "convert", "{tmp}/none.pkl", "-o", "{tmp}/f.npz"], "not found"),
    "bench: negative duration": (["bench", "--duration", "-1"], "--duration"),
    "bench: not a model folder": (["bench", "--model-dir", "{tmp}/none", "--duration", "1"], "no such model folder"),
    "corpus: unknown speech folder": (["corpus", "build", "{tmp}/c", "--speech", "{tmp}/none"], "{tmp}/none"),
    "corpus: negative TTS minutes": (["corpus", "build", "{tmp}/c", "--tts-minutes", "-1", "--no-real"],
                                     "--tts-minutes"),
    "train: not a corpus": (["train", "--corpus", "{tmp}/none", "-o", "{tmp}/model"], "not a corpus folder"),
    "train: zero steps": (["train", "--corpus", "{tmp}/none", "-o", "{tmp}/model", "--steps", "0"], "--steps"),
    "eval: not a model folder": (["eval", "--model-dir", "{tmp}/none"], "no such model folder"),
    "eval: plots inside a file": (["eval", "--plots", "{tmp}/corrupt.wav/plots"], "cannot write here"),
    "probe: unknown front-end": (["probe", "--frontends", "tiny.en,nope"], "unknown nope"),
    "probe: unknown speech folder": (["probe", "--speech", "{tmp}/none"], "{tmp}/none"),
}


MALFORMED = {
    # argparse's own errors: the usage line, then one error line, exit 2
    "live: steps not a number": ["live", "--steps", "many"],
    "serve: unheard silence neither ms nor window": ["serve", "--encode-unheard", "all"],
    "render: size not WIDTHxHEIGHT": ["render", SPEECH, "-o", "v.mp4", "--size", "3x3"],
    "eval: zero offline steps": ["eval", "--offline-steps", "0"],
    "bridge vmc: port not a number": ["bridge", "vmc", "--vmc-port", "abc"],
    "bridge ifacialmocap: port not a number": ["bridge", "ifacialmocap", "--port", "abc"],
}


def _posetalk(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posetalk", *arguments], capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A loopback port some other program is listening on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli_errors")
    (folder / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (folder / "corrupt.npz").write_bytes(b"PK\x03\x04 not a zip archive")
    (folder / "corrupt.pkl").write_bytes(b"\x80\x04junk")
    save_coefficients(folder / "params.npz", np.zeros((5, 50)), np.zeros((5, 6)), np.zeros((5, 100)), 25)
    return folder


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, scratch: Path, busy_port: int) -> Iterator[dict[str, Future]]:
    """The selected cases' processes, started two at a time as soon as the first case needs one."""
    fill = {"tmp": str(scratch), "port": str(busy_port)}
    selected = [item.callspec.params["name"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_a_mistake_is_one_line_and_a_failing_exit"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_posetalk, [argument.format(**fill) for argument in CASES[name][0]])
               for name in selected}


@pytest.mark.parametrize("name", list(CASES))
def test_a_mistake_is_one_line_and_a_failing_exit(name: str, runs: dict[str, Future], scratch: Path) -> None:
    result = runs[name].result()
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith("posetalk: error: "), result.stderr
    assert CASES[name][1].format(tmp=scratch) in lines[0]


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_option_is_argparse_usage_and_one_error(name: str) -> None:
    result = _posetalk(MALFORMED[name])
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2
    assert lines[0].startswith("usage: posetalk") and lines[-1].startswith("posetalk ") and ": error: " in lines[-1]


def test_infer_creates_the_output_folder(tmp_path: Path) -> None:
    short = tmp_path / "short.wav"
    with soundfile.SoundFile(SPEECH_SAMPLE) as sample:
        soundfile.write(short, sample.read(sample.samplerate // 2), sample.samplerate)  # half a second
    output = tmp_path / "new" / "deeper" / "motion.npz"
    result = _posetalk(["infer", str(short), "--steps", "2", "-o", str(output)])
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert len(load_coefficients(output)) > 0


@pytest.mark.parametrize(("output_format", "output_name"), [("mp4", "video.mp4"), ("png", "frames")])
def test_render_creates_the_output_folder(output_format: str, output_name: str, tmp_path: Path) -> None:
    params = tmp_path / "params.npz"
    save_coefficients(params, np.zeros((5, 50)), np.zeros((5, 6)), np.zeros((5, 100)), 25)
    output = tmp_path / "new" / "deeper" / output_name
    result = _posetalk(["render", "--params", str(params), "--size", "32x32", "--fps", "25",
                        "--format", output_format, "-o", str(output)])
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    written = [output] if output_format == "mp4" else sorted(output.glob("*.png"))
    assert len(written) == (1 if output_format == "mp4" else 5) and all(p.stat().st_size > 0 for p in written)


def test_devices_lists_inputs_or_says_there_are_none() -> None:
    result = _posetalk(["devices"])
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "default input" in result.stdout or "no audio input devices found" in result.stdout
