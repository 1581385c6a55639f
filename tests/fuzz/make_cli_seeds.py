#!/usr/bin/python3
# tests/fuzz/make_cli_seeds.py: write the seeds of tests/fuzz/corpus/cli: a selector byte
# (0 prune, 1 run) then the arguments separated by NUL bytes; output committed.
import sys

out = sys.argv[1]
seeds = {
    "prune-basic": (0, "-w w.npy --layout oihw --sparsity 0.9 --pad 1 -o out.sconv"),
    "prune-global": (0, "-w a.npy -w b.npy --layout hwio --method global --sparsity 0.8 "
                        "--name a --name b -o m.sconv"),
    "prune-block": (0, "-w w.npy --layout oihw --method block:4x1:l2 --count 10 --pack nhwc "
                       "-o w.sconv -q"),
    "prune-nm": (0, "--weights=w.npy --layout=ohwi --method=nm:2:4 --stride=2x1 "
                    "--pad=1,0,1,0 --dilation=2 --groups=2 --output=w.sconv"),
    "prune-threshold": (0, "-w w.npy --layout oihw --threshold 0.05 --convention tfmot "
                           "--bias b.npy -o w.sconv"),
    "prune-mask": (0, "-w w.npy --layout oihw --mask m.npy -o w.sconv -- extra"),
    "prune-filter": (0, "-w w.npy --layout oihw --method filter:l1 --sparsity 0.5 -o x.sconv"),
    "prune-help": (0, "--help"),
    "run-basic": (1, "-m conv1.sconv -i x.npy --in-layout nchw --check -o y.npy"),
    "run-full": (1, "-m model.sconv --name conv2 -i x.npy --in-layout nhwc --out-layout nchw "
                    "--threads 2 --engine sparse --act relu6 --verbose -o y.npy"),
    "run-eq": (1, "--model=m.sconv --input=x.npy --in-layout=nchw --engine=dense "
                  "--act=clamp:-1,1 --output=y.npy"),
    "run-bad": (1, "-m m.sconv -i x.npy --in-layout nchw --threads -1 -o y.npy"),
    # sizes at and past the limits (2^40 for strides, paddings, dilations and groups)
    "prune-stride-2e40": (0, "-w w.npy --layout oihw --sparsity 0.5 --stride 1099511627776 "
                             "--pad 1099511627776 -o w.sconv"),
    "prune-pad-past-limit": (0, "-w w.npy --layout oihw --sparsity 0.5 "
                                "--pad=1099511627777,0,9223372036854775807,1 -o w.sconv"),
    "prune-dilation-huge": (0, "-w w.npy --layout oihw --sparsity 0.5 "
                               "--dilation 1099511627776x1 --stride 268435456x1 -o w.sconv"),
    "prune-groups-huge": (0, "-w w.npy --layout oihw --sparsity 0.5 --groups 1099511627777 "
                             "--stride 18446744073709551616 -o w.sconv"),
    "prune-at-cli-limit": (0, "-w w.npy --layout oihw --sparsity 0.5 --stride 1073741824x1 "
                              "--pad 1073741824 --dilation 1x1073741824 -o w.sconv"),
    "run-threads-huge": (1, "-m m.sconv -i x.npy --in-layout nchw --threads 10000 -o y.npy"),
}
for name, (sel, args) in seeds.items():
    data = bytes([sel]) + b"\0".join(a.encode() for a in args.split(" "))
    open(f"{out}/{name}", "wb").write(data)
