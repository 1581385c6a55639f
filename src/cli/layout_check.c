/* src/cli/layout_check.c: warn when the weight layout given reads a shape as an unlikely kernel */
#include <stdio.h>

#include "cli/cli.h"

/* Kernels of real layers have sides of at most 11 (AlexNet's stem) unless they are
 * depthwise or audio kernels, whose shapes no other layout reads as a small square. */
#define MAX_COMMON_KERNEL 11

typedef struct reading {
    int64_t o, i, kh, kw;
} reading;

static reading read_as(sc_wlayout layout, const int64_t s[4])
{
    switch (layout) {
    case SC_OHWI: return (reading){s[0], s[3], s[1], s[2]};
    case SC_HWIO: return (reading){s[3], s[2], s[0], s[1]};
    default: return (reading){s[0], s[1], s[2], s[3]};
    }
}

/* The rule (docs/cli.md): the layout given reads a kernel side longer than 11 while another
 * layout reads the same shape as a square kernel of side at most 11. */
void cli_warn_layout(const cli_cmd *cmd, const char *path, sc_wlayout layout,
                     const int64_t shape[4])
{
    const reading r = read_as(layout, shape);
    if (r.kh <= MAX_COMMON_KERNEL && r.kw <= MAX_COMMON_KERNEL) return;
    static const sc_wlayout all[3] = {SC_OIHW, SC_HWIO, SC_OHWI};
    for (int k = 0; k < 3; ++k) {
        const reading a = read_as(all[k], shape);
        if (all[k] == layout || a.kh != a.kw || a.kh > MAX_COMMON_KERNEL) continue;
        fprintf(stderr, "sconv %s: warning: %s: as %s, shape (%lld, %lld, %lld, %lld) is a "
                "%lldx%lld kernel from %lld to %lld channels; as %s it would be a %lldx%lld "
                "kernel from %lld to %lld channels: check the layout\n", cmd->name, path,
                sc_wlayout_name(layout), (long long)shape[0], (long long)shape[1],
                (long long)shape[2], (long long)shape[3], (long long)r.kh, (long long)r.kw,
                (long long)r.i, (long long)r.o, sc_wlayout_name(all[k]), (long long)a.kh,
                (long long)a.kw, (long long)a.i, (long long)a.o);
        return;
    }
}
