/* src/cli/files.c: reading inputs and writing outputs for the CLI, never over an input */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/core.h"
#include "io/file_util.h"

int cli_check_output(const cli_cmd *cmd, const char *out_opt, const char *out,
                     const char *const *inputs, int n_inputs)
{
    struct stat so;
    if (stat(out, &so) != 0) return CLI_OK;  /* does not exist yet: cannot be an input */
    if (S_ISDIR(so.st_mode))
        return cli_error(cmd, CLI_IO, "%s: the output path is a directory", out);
    for (int i = 0; i < n_inputs; ++i) {
        struct stat si;
        if (inputs[i] && stat(inputs[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino)
            return cli_usage_error(cmd, "%s %s is the same file as the input %s: refusing to "
                                   "overwrite an input", out_opt, out, inputs[i]);
    }
    return CLI_OK;
}

void cli_file_stem(const char *path, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) len = (size_t)(dot - base);
    if (len >= cap) len = cap - 1;
    memcpy(buf, base, len);
    buf[len] = '\0';
}

int cli_read_npy(const cli_cmd *cmd, const char *path, sc_array *out)
{
    sc_status st = sc_npy_read(path, out);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, path);
}

void cli_format_shape(const sc_array *a, char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "(");
    for (int d = 0; d < a->ndim && used < cap; ++d)
        used += (size_t)snprintf(buf + used, cap - used, "%s%lld", d ? ", " : "",
                                 (long long)a->shape[d]);
    if (used < cap) snprintf(buf + used, cap - used, "%s)", a->ndim == 1 ? "," : "");
}

int cli_read_weights(const cli_cmd *cmd, const char *path, sc_wlayout layout, sc_array *arr,
                     sc_wdesc *wd)
{
    static const char *const axes[3] = {[SC_OIHW] = "O, I, KH, KW", [SC_OHWI] = "O, KH, KW, I",
                                        [SC_HWIO] = "KH, KW, I, O"};
    sc_array a = {0};
    int code = cli_read_npy(cmd, path, &a);
    if (code != CLI_OK) return code;
    if (a.ndim != 4) {
        char shape[128];
        const int ndim = a.ndim;  /* the release below zeroes it */
        cli_format_shape(&a, shape, sizeof shape);
        sc_array_release(&a);
        return cli_error(cmd, CLI_DATA, "%s: weights must be a 4-D array (%s: %s), got %d-D "
                         "shape %s", path, sc_wlayout_name(layout), axes[layout], ndim, shape);
    }
    sc_status st = sc_wdesc_from_shape(layout, a.shape, wd);
    if (st != SC_OK) {
        sc_array_release(&a);
        return cli_fail_status(cmd, st, path);
    }
    cli_warn_layout(cmd, path, layout, a.shape);
    *arr = a;
    return CLI_OK;
}

int cli_write_npy(const cli_cmd *cmd, const char *path, int ndim, const int64_t *shape,
                  const float *data)
{
    sc_status st = sc_npy_write(path, ndim, shape, data);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, path);
}

int cli_write_file(const cli_cmd *cmd, const char *path, const void *data, size_t len)
{
    sc_atomic_file f;
    sc_status st = sc_atomic_open(path, &f);
    if (st == SC_OK) st = sc_atomic_write(&f, data, len);
    if (st == SC_OK) st = sc_atomic_commit(&f);
    else sc_atomic_abort(&f);
    return st == SC_OK ? CLI_OK : cli_fail_status(cmd, st, path);
}

int cli_write_outputs(const cli_cmd *cmd, const cli_output *outs, int n)
{
    enum { MAX_OUTPUTS = 8 };
    sc_atomic_file f[MAX_OUTPUTS];
    if (n > MAX_OUTPUTS) return cli_error(cmd, CLI_IO, "too many outputs (%d)", n);
    int opened = 0, code = CLI_OK;
    sc_status st = SC_OK;
    const char *failed = NULL;
    for (; st == SC_OK && opened < n; ++opened) {  /* every temporary file first */
        failed = outs[opened].path;
        st = sc_atomic_open(failed, &f[opened]);
        if (st == SC_OK) st = sc_atomic_write(&f[opened], outs[opened].data, outs[opened].len);
    }
    for (int i = 0; st == SC_OK && i < n; ++i) {  /* then the renames */
        failed = outs[i].path;
        st = sc_atomic_commit(&f[i]);
    }
    if (st != SC_OK) code = cli_fail_status(cmd, st, failed);
    for (int i = 0; i < opened; ++i) sc_atomic_abort(&f[i]);  /* no-op once committed */
    return code;
}
