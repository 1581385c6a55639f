# tests/cli/test_cli_messages.py: the sconv command's messages for common mistakes
#   /usr/bin/python3 test_cli_messages.py SCONV
# Weights of the wrong rank, a file of the wrong format, a mistyped command or option, and
# weights given in the wrong layout: each must get a message that names the mistake.
# Prints one line per test and "N passed, M failed" last; exits 1 on any failure.
import json
import os
import struct
import sys
import zipfile

from test_cli import np, ok, run_tests, save, sconv  # the main CLI test's driver and helpers

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def error_line(expect_code, *args, cwd):
    """Run, expect `expect_code`; returns stderr's first line."""
    code, _, err = sconv(*args, cwd=cwd)
    cmdline = "sconv " + " ".join(map(str, args))
    assert code == expect_code, f"{cmdline}: exit {code}, expected {expect_code}:\n{err}"
    assert err, f"{cmdline}: nothing on stderr"
    return err.splitlines()[0]


# ---------------------------------------------------------------- weights of the wrong rank

@test
def weights_rank_is_the_arrays(d):
    for shape, text in [((3, 3), "got 2-D shape (3, 3)"), ((5,), "got 1-D shape (5,)"),
                        ((), "got 0-D shape ()"), ((2, 3, 4), "got 3-D shape (2, 3, 4)")]:
        save(d, "w.npy", np.ones(shape))
        line = error_line(2, "prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5",
                          "-o", "o.sconv", cwd=d)
        want = f"sconv prune: w.npy: weights must be a 4-D array (oihw: O, I, KH, KW), {text}"
        assert line == want, f"{line!r}\n  want {want!r}"
        line = error_line(2, "convert", "-i", "w.npy", "--from", "hwio", "--to", "oihw",
                          "-o", "o.npy", cwd=d)
        assert line.endswith(f"(hwio: KH, KW, I, O), {text}"), line
    assert not os.path.exists(os.path.join(d, "o.sconv"))


# ---------------------------------------------------------------- a file of another format

def write_bytes(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    return name


@test
def sconv_readers_name_the_format_they_got(d):
    save(d, "w.npy", np.ones((4, 2, 3, 3)))
    np.savez(os.path.join(d, "w.npz"), w=np.ones(3, np.float32))
    write_bytes(d, "notes.txt", b"conv1 weights, pruned to 80%\n")
    cases = [  # (file, the message after "sconv info: FILE: ")
        ("w.npy", ".sconv: not a .sconv file: it starts like a .npy array"),
        ("w.npz", ".sconv: not a .sconv file: it starts like a zip archive (.npz, PyTorch "
                  ".pt/.pth, Keras .keras)"),
        ("notes.txt", ".sconv: not a .sconv file: byte 8, where the JSON header must start "
                      "with '{', is 'i'"),
    ]
    for name, msg in cases:
        line = error_line(2, "info", name, cwd=d)
        assert line == f"sconv info: {name}: {msg}", line
    # every command that loads a layer says the same
    line = error_line(2, "run", "-m", "w.npy", "-i", "w.npy", "--in-layout", "nchw",
                      "-o", "y.npy", cwd=d)
    assert line == f"sconv run: w.npy: {cases[0][1]}", line
    line = error_line(2, "unpack", "-m", "w.npy", "--layout", "oihw", "-o", "u.npy", cwd=d)
    assert line == f"sconv unpack: w.npy: {cases[0][1]}", line
    # a short file cannot be a .sconv either
    write_bytes(d, "tiny", b"abc")
    line = error_line(2, "info", "tiny", cwd=d)
    assert line == ("sconv info: tiny: .sconv: file is 3 bytes, shorter than the 8-byte header "
                    "length: truncated, or not a .sconv file"), line


@test
def npy_readers_name_the_format_they_got(d):
    save(d, "w.npy", np.ones((4, 2, 3, 3)))
    ok("prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "m.sconv", cwd=d)
    write_bytes(d, "notes.txt", b"conv1 weights\n")
    with zipfile.ZipFile(os.path.join(d, "model.pt"), "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    sconv_msg = "npy: not a .npy file: it starts like a .sconv or safetensors file, not with " \
                "\\x93NUMPY"
    line = error_line(2, "run", "-m", "m.sconv", "-i", "m.sconv", "--in-layout", "nchw",
                      "-o", "y.npy", cwd=d)
    assert line == f"sconv run: m.sconv: {sconv_msg}", line
    line = error_line(2, "prune", "-w", "m.sconv", "--layout", "oihw", "--sparsity", "0.5",
                      "-o", "o.sconv", cwd=d)
    assert line == f"sconv prune: m.sconv: {sconv_msg}", line
    line = error_line(2, "convert", "-i", "model.pt", "--from", "oihw", "--to", "hwio",
                      "-o", "o.npy", cwd=d)
    assert line == ("sconv convert: model.pt: npy: not a .npy file: it starts like a zip "
                    "archive (.npz, PyTorch .pt/.pth, Keras .keras), not with \\x93NUMPY"), line
    line = error_line(2, "convert", "-i", "notes.txt", "--from", "oihw", "--to", "hwio",
                      "-o", "o.npy", cwd=d)
    assert line == ("sconv convert: notes.txt: npy: not a .npy file (bad magic): it does not "
                    "start with \\x93NUMPY"), line
    # a .npy cut inside its magic is truncated, not another format
    with open(os.path.join(d, "w.npy"), "rb") as f:
        write_bytes(d, "cut.npy", f.read(4))
    line = error_line(2, "convert", "-i", "cut.npy", "--from", "oihw", "--to", "hwio",
                      "-o", "o.npy", cwd=d)
    assert "npy: truncated: 4 bytes" in line, line


# ---------------------------------------------------------------- mistyped commands, options

TOP_USAGE = ["Usage: sconv COMMAND [OPTIONS], COMMAND one of prune, info, unpack, run, "
             "convert, sweep, demo", "Try 'sconv --help' for more information."]


@test
def mistyped_command_gets_a_suggestion_and_the_short_usage(d):
    cases = [  # typed, the suggestion (None: no close name)
        ("prun", "'prune'"), ("Prnue", "'prune'"), ("unpak", "'unpack'"), ("sweeep", "'sweep'"),
        ("ru", "'run'"), ("inf", "'info'"), ("in", "'info'"), ("conver", "'convert'"),
        ("frobnicate", None), ("x", None), ("pr", "'prune'"),
    ]
    for typed, hint in cases:
        code, out, err = sconv(typed, cwd=d)
        assert code == 1 and out == "", f"sconv {typed}: exit {code}, stdout {out!r}"
        first = f"sconv: unknown command '{typed}'" + (f"; did you mean {hint}?" if hint else "")
        assert err.splitlines() == [first] + TOP_USAGE, f"sconv {typed}:\n{err}"


@test
def mistyped_option_gets_a_suggestion(d):
    cases = [  # command, typed option, the suggestion (None: no close name)
        ("prune", "--sparsty", "'--sparsity'"), ("prune", "--layot", "'--layout'"),
        ("run", "--in_layout", "'--in-layout'"), ("run", "--threds", "'--threads'"),
        ("run", "--out", "'--out-layout' or '--output'"), ("info", "--jsno", "'--json'"),
        ("convert", "--form", "'--from'"), ("prune", "--no-such-flag", None),
    ]
    for cmd, typed, hint in cases:
        code, _, err = sconv(cmd, typed, "1", cwd=d)
        lines = err.splitlines()
        first = f"sconv {cmd}: unknown option '{typed}'" + (
            f"; did you mean {hint}?" if hint else "")
        assert code == 1 and lines[0] == first, f"sconv {cmd} {typed}: exit {code}:\n{err}"
        assert lines[1].startswith(f"Usage: sconv {cmd} "), err
        assert lines[-1] == f"Try 'sconv {cmd} --help' for more information.", err
    # an option given with '=' is matched on its name
    code, _, err = sconv("prune", "--sparsty=0.5", cwd=d)
    assert code == 1 and err.startswith(
        "sconv prune: unknown option '--sparsty'; did you mean '--sparsity'?\n"), err


# ---------------------------------------------------------------- weights in the wrong layout

def oihw_to(w, layout):
    return w.transpose({"oihw": (0, 1, 2, 3), "hwio": (2, 3, 1, 0), "ohwi": (0, 2, 3, 1)}[layout])


# Conv weights of real networks, OIHW (O, I per group, KH, KW), as their frameworks store them.
REAL_LAYERS = [
    (64, 3, 7, 7),      # ResNet stem
    (64, 3, 11, 11),    # AlexNet conv1
    (192, 64, 5, 5),    # AlexNet conv2
    (64, 64, 3, 3), (256, 64, 1, 1), (64, 256, 1, 1), (512, 512, 3, 3),  # ResNet-50
    (2048, 512, 1, 1),
    (32, 1, 3, 3), (96, 1, 7, 7), (240, 1, 5, 5),  # depthwise: MobileNet, ConvNeXt, EfficientNet
    (128, 1, 31, 31),   # RepLKNet's large depthwise kernel
    (192, 160, 1, 7), (192, 160, 7, 1),  # Inception-v3 factorised 7x7
    (32, 1, 41, 11), (32, 32, 21, 11),   # DeepSpeech2 spectrogram convolutions
    (6, 1, 5, 5), (16, 6, 5, 5),         # LeNet-5
    (64, 1, 9, 9), (1, 32, 5, 5),        # SRCNN
    (1, 1, 3, 3), (4, 1, 5, 5),          # a single-channel filter, a toy first layer
    (32, 16, 3, 3),                      # the tutorial's layer (Keras's is its HWIO)
    (100, 512, 4, 4), (64, 3, 4, 4),     # DCGAN ConvTranspose2d, PyTorch (Cin, Cout, KH, KW)
]


def warnings_of(d, w, layout):
    save(d, "w.npy", w)
    _, err = ok("convert", "-i", "w.npy", "--from", layout, "--to", "oihw", "-o", "o.npy", cwd=d)
    return [line for line in err.splitlines() if "warning" in line]


@test
def real_layers_in_their_layout_never_warn(d):
    for shape in REAL_LAYERS:
        w = np.zeros(shape, np.float32)
        for layout in ("oihw", "hwio", "ohwi"):
            warned = warnings_of(d, oihw_to(w, layout), layout)
            assert not warned, f"{shape} given as {layout}: {warned}"


@test
def layers_given_in_another_layout_warn(d):
    # every misreading of a layer with a square kernel of at most 11 and more than 11
    # channels on both sides reads a kernel side of at least 12 (a channel count)
    for shape in [(64, 64, 3, 3), (256, 64, 1, 1), (64, 256, 1, 1), (192, 64, 5, 5),
                  (32, 16, 3, 3), (100, 512, 4, 4)]:
        w = np.zeros(shape, np.float32)
        for true in ("oihw", "hwio", "ohwi"):
            for given in ("oihw", "hwio", "ohwi"):
                if given != true:
                    warned = warnings_of(d, oihw_to(w, true), given)
                    assert len(warned) == 1, f"{shape} stored {true}, given {given}: {warned}"


@test
def layout_warning_names_both_readings_and_is_not_an_error(d):
    save(d, "w.npy", np.random.default_rng(3).standard_normal((32, 16, 3, 3)))
    out, err = ok("prune", "-w", "w.npy", "--layout", "hwio", "--sparsity", "0.5",
                  "-o", "m.sconv", cwd=d)
    assert err == ("sconv prune: warning: w.npy: as hwio, shape (32, 16, 3, 3) is a 32x16 "
                   "kernel from 3 to 3 channels; as oihw it would be a 3x3 kernel from 16 to "
                   "32 channels: check the layout\n"), err
    assert "wrote m.sconv" in out and os.path.getsize(os.path.join(d, "m.sconv")) > 0
    # a Keras kernel (3, 3, 16, 32) given as oihw, the other way round
    save(d, "k.npy", np.zeros((3, 3, 16, 32)))
    _, err = ok("convert", "-i", "k.npy", "--from", "oihw", "--to", "hwio", "-o", "o.npy", cwd=d)
    assert err == ("sconv convert: warning: k.npy: as oihw, shape (3, 3, 16, 32) is a 16x32 "
                   "kernel from 3 to 3 channels; as hwio it would be a 3x3 kernel from 16 to "
                   "32 channels: check the layout\n"), err


DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cli.md")


def text_blocks(path):
    """The ```text fenced blocks of a markdown file, each a list of lines."""
    blocks, cur = [], None
    for line in open(path, encoding="utf-8"):
        if cur is None and line.strip() == "```text":
            cur = []
        elif cur is not None and line.strip() == "```":
            blocks.append(cur)
            cur = None
        elif cur is not None:
            cur.append(line.rstrip("\n"))
    return blocks


@test
def docs_messages_are_what_sconv_prints(d):
    blocks = text_blocks(DOCS)
    sessions = [b for b in blocks if b and b[0].startswith("$ sconv ")]
    warnings = [b for b in blocks if b and b[0].startswith("sconv prune: warning: ")]
    assert sessions and len(warnings) == 1, f"{DOCS}: the message examples are gone"
    for block in sessions:  # "$ sconv ARGS" then the first lines of its stderr
        i = 0
        while i < len(block):
            args = block[i][len("$ sconv "):].split()
            j = i + 1
            while j < len(block) and not block[j].startswith("$ "):
                j += 1
            code, _, err = sconv(*args, cwd=d)
            assert code == 1 and err.splitlines()[:j - i - 1] == block[i + 1:j], \
                f"docs/cli.md shows:\n{chr(10).join(block[i:j])}\nsconv prints:\n{err}"
            i = j
    save(d, "w.npy", np.zeros((32, 16, 3, 3)))
    _, err = ok("prune", "-w", "w.npy", "--layout", "hwio", "--sparsity", "0.5", "-o", "m.sconv",
                cwd=d)
    assert err.splitlines() == warnings[0], f"docs/cli.md shows {warnings[0]}\nsconv: {err}"


# ---------------------------------------------------------------- geometry from the model

def set_sconv_meta(d, src, dst, **meta):
    """Copy .sconv file src to dst with metadata "<layer>.<key>" values replaced (the
    checksum covers the tensors only, so the copy stays valid)."""
    with open(os.path.join(d, src), "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    for key, value in meta.items():
        h["__metadata__"][key] = value
    text = json.dumps(h, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    write_bytes(d, dst, struct.pack("<Q", len(text)) + text + b[8 + n:])


@test
def output_too_large_for_int64_names_the_model(d):
    # padding 2^40 (the largest the format allows) makes a 2^41 x 2^41 output: its size
    # comes from the layer, so the message names the model and the layer, not the input
    save(d, "w.npy", np.ones((32, 16, 3, 3)))
    save(d, "x.npy", np.ones((1, 16, 5, 5)))
    ok("prune", "-w", "w.npy", "--layout", "oihw", "--sparsity", "0.5", "-o", "m.sconv", cwd=d)
    big = str(1 << 40)
    set_sconv_meta(d, "m.sconv", "big.sconv", **{"w.padding": ",".join([big] * 4)})
    out, _ = ok("info", "big.sconv", cwd=d)
    assert f"pad {big},{big},{big},{big}" in out, out
    assert "cannot plan: conv output: the view's extent overflows int64" in out, out
    line = error_line(2, "run", "-m", "big.sconv", "-i", "x.npy", "--in-layout", "nchw",
                      "-o", "y.npy", cwd=d)
    side = (5 + 2 * (1 << 40) - 3) + 1
    want = (f"sconv run: big.sconv: layer 'w' gives an output of 1 x 32 x {side} x {side} "
            "(batch, channels, height, width) for the input x.npy: output: the view's extent "
            "overflows int64")
    assert line == want, f"{line!r}\n  want {want!r}"
    assert not os.path.exists(os.path.join(d, "y.npy"))


if __name__ == "__main__":
    sys.exit(run_tests(TESTS, "sconv-cli-msg"))
