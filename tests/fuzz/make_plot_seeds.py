#!/usr/bin/python3
# tests/fuzz/make_plot_seeds.py: write the seeds of tests/fuzz/corpus/plot (the input format
# is described at the top of fuzz_plot.c): make_plot_seeds.py DIR; output committed.
import struct
import sys

out = sys.argv[1]
NAN, INF = float("nan"), float("inf")


def seed(labels, speed, error, cap=255, on_disk=False):
    """labels: title, note, then one per curve; speed/error: lists of [(x_byte, y), ...];
    on_disk: first byte >= 247 (same count modulo 9), so the data files are written too."""
    curves = speed + error
    n = len(curves[0]) if curves else 0
    first = 247 + (len(speed) - 247) % 9 if on_disk else len(speed)
    data = bytes([first, len(error), n, cap])
    data += b"".join(lab + b"\0" for lab in labels)
    for c in curves:
        for x, y in c:
            data += bytes([x]) + struct.pack("<d", y)
    return data


hostile = [b"w'\n!touch PWNED\n.npy", b'q"uote`touch B`$(touch C)@mac', b"\t#tab\r\x7fdel",
           b"\xc0\xaf overlong \xed\xa0\x80 surrogate \xf4\x90\x80\x80 big \xff",
           "\u00e9t\u00e9 \u2192 \U0001f600 \u202eevil".encode()]
sweep = [(128, 1.0), (205, 2.0), (230, 3.5)]
errs = [(128, 1e-3), (205, 0.1), (230, 0.3)]
seeds = {
    "sweep": seed([b"sweep: w.npy (16x16x3x3, oihw)", b"threads 2", b"sparse vs dense, NCHW",
                   b"pruning error ||y_pruned - y|| / ||y||"], [sweep], [errs]),
    "demo": seed([b"demo", b"threads 1", b"conv1 NCHW", b"conv1 NHWC", b"conv2 NCHW",
                  b"conv2 NHWC", b"conv1", b"conv2"], [sweep] * 4, [errs] * 2, on_disk=True),
    "empty": seed([b"", b""], [], []),
    "empty-on-disk": seed([b"", b""], [], [], on_disk=True),
    "hostile-labels": seed(hostile[:2] + hostile[2:] + hostile[:1], [sweep, sweep], [errs], on_disk=True),
    "long-label-cut": seed([("\u00e9" * 200).encode(), b"n" * 300, "\U0001f600".encode() * 70,
                            b"e" * 255], [sweep], [errs], cap=6),
    "non-finite": seed([b"t", b"n", b"s", b"e"], [[(0, NAN), (1, INF), (2, -INF)]],
                       [[(0, 0.0), (1, -1.0), (2, NAN)]]),
    "huge-values": seed([b"t", b"n", b"s", b"e"], [[(0, 1.7e308), (255, -1.7e308), (9, 5e-324)]],
                        [[(0, 1.7e308), (1, 5e-324), (2, 1e-310)]]),
    "cap-small": seed([b"abc", "\u00e9\u00e9".encode(), b"xyz", b"\xe2\x82"], [sweep], [errs], cap=2),
}
for name, data in seeds.items():
    open(f"{out}/{name}", "wb").write(data)
