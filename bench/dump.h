/* bench/dump.h: --dump DIR: each point's exact weights, input and expected output for outside engines */
#ifndef SCB_DUMP_H
#define SCB_DUMP_H

#include "bench.h"

/* DIR/<stem>_w.npy: the pruned dense weights, OIHW float32 (zeros included);
 * DIR/<stem>_x.npy: the input as the engines got it, (N,C,H,W) or (N,H,W,C) by the layout;
 * DIR/<stem>_y.npy: the reference output (double accumulation, rounded) in the same layout.
 * stem is "<layer>_s<sparsity>_<layout>" (characters outside [A-Za-z0-9._-] become '_'),
 * written to stem_out (cap >= 160). ref is dense NCHW. 0, or -1 with a message on stderr. */
int scb_dump_point(const char *dir, const scb_point *pt, const float *ref, char *stem_out,
                   size_t cap);

/* One line of DIR/manifest.jsonl: the point's shape, stride, pad, dilation, groups, batch,
 * layout, threads, sparsity, method, nnz and its three files (from scb_dump_point). */
void scb_dump_manifest_line(FILE *f, const scb_point *pt, const char *stem);

#endif
