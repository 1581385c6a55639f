/* src/cli/cli.h: shared pieces of the sconv command: options, errors and exit codes, files */
#ifndef SC_CLI_H
#define SC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sconv.h"

/* Exit codes (docs/cli.md). */
enum {
    CLI_OK = 0,        /* success */
    CLI_USAGE = 1,     /* bad command line: unknown flag, missing or malformed value */
    CLI_DATA = 2,      /* bad input data or file: malformed, wrong shape, inconsistent */
    CLI_IO = 3,        /* the operating system refused a read or write */
    CLI_NUMERIC = 4    /* a numerical check failed (run --check, demo) */
};

/* ---- subcommands ---- */

struct cli_args;

typedef struct cli_cmd {
    const char *name;     /* "prune" */
    const char *summary;  /* one line for `sconv --help` */
    const char *usage;    /* the synopsis, printed after a usage error */
    const char *help;     /* the manual page, printed by --help */
    const struct cli_opt *opts;  /* its option table */
    int n_opts;
    int (*main)(const struct cli_cmd *cmd, const struct cli_args *a);  /* on parsed options */
} cli_cmd;

/* ---- options ---- */

typedef struct cli_opt {
    const char *name;  /* long name without "--" */
    char short_name;   /* 'w' for -w, or 0 */
    bool has_value;    /* takes one value ("--x V", "--x=V", "-w V") */
    bool repeatable;   /* may be given several times */
} cli_opt;

typedef struct cli_hit {
    int opt;            /* index into the option table, -1 for a positional argument */
    const char *value;  /* the value (NULL for a flag) */
} cli_hit;

typedef struct cli_args {
    const cli_cmd *cmd;
    const cli_opt *opts;
    int n_opts;
    cli_hit *hits;   /* in command-line order */
    int n_hits;
} cli_args;

/* Parse argv[1..argc) against cmd's options and return cmd->main on them. "--help"/"-h"
 * prints the help and returns CLI_OK; a usage error prints the reason and usage and returns
 * CLI_USAGE; neither runs cmd->main. */
int cli_run_command(const cli_cmd *cmd, int argc, char **argv);

/* The last value of option `opt` (NULL when absent); count; the i-th value. */
const char *cli_get(const cli_args *a, int opt);
int cli_count(const cli_args *a, int opt);
const char *cli_value(const cli_args *a, int opt, int i);
bool cli_flag(const cli_args *a, int opt);
/* Positional arguments. */
int cli_n_positional(const cli_args *a);
const char *cli_positional(const cli_args *a, int i);

/* ---- errors ---- */

/* "sconv CMD: <reason>", the usage and a hint to --help on stderr; returns CLI_USAGE. */
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "sconv CMD: <message>" on stderr; returns `code`. */
int cli_error(const cli_cmd *cmd, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A library failure: "sconv CMD: FILE: <sc_last_message()>" (FILE omitted when NULL or
 * already named by the message); returns the exit code for st (cli_exit_code). */
int cli_fail_status(const cli_cmd *cmd, sc_status st, const char *file);
/* SC_EIO -> 3; SC_ENUMERIC from a check -> 4 is decided by callers; everything else -> 2. */
int cli_exit_code(sc_status st);

/* "Did you mean": the names closest to typed[0..len) among name_of(items, 0..n), each
 * quoted with `prefix` ("'--sparsity'", "'run' or 'unpack'") into buf. Close means an edit
 * distance (insert, delete, substitute, swap two neighbours; case ignored) of at most
 * min(2, len / 2), the smallest found (ties: the longest common start); failing that, names
 * that start with what was typed (len >= 2). At most three are listed. Returns false (buf empty) when none is close. */
bool cli_suggest(const char *typed, size_t len, const char *(*name_of)(const void *, int),
                 const void *items, int n, const char *prefix, char *buf, size_t cap);

/* ---- values ---- */

/* Each parser reports a usage error naming the option and returns CLI_USAGE, or CLI_OK. */
int cli_parse_int(const cli_cmd *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                  int64_t *out);
int cli_parse_double(const cli_cmd *cmd, const char *opt, const char *s, double lo, double hi,
                     double *out);
/* A comma-separated list of doubles in [lo, hi]; *out is malloc'd (free()). */
int cli_parse_double_list(const cli_cmd *cmd, const char *opt, const char *s, double lo,
                          double hi, double **out, int *n);
/* "S" or "SHxSW" (also "SH,SW"), each in [lo, hi]. */
int cli_parse_pair(const cli_cmd *cmd, const char *opt, const char *s, int64_t lo, int64_t hi,
                   int64_t *a, int64_t *b);
int cli_parse_wlayout(const cli_cmd *cmd, const char *opt, const char *s, sc_wlayout *out);
/* "nchw" or "nhwc": *nhwc = false / true. */
int cli_parse_alayout(const cli_cmd *cmd, const char *opt, const char *s, bool *nhwc);
int cli_parse_engine(const cli_cmd *cmd, const char *s, sc_engine *out);
int cli_parse_act(const cli_cmd *cmd, const char *s, sc_activation *out);

/* Conv parameters from --stride, --pad, --dilation, --groups (option indices, -1 absent). */
int cli_parse_conv_params(const cli_cmd *cmd, const cli_args *a, int o_stride, int o_pad,
                          int o_dil, int o_groups, sc_conv_params *p);
/* "stride 1x1, pad 1,1,1,1, dilation 1x1, groups 1" into buf. */
void cli_format_params(const sc_conv_params *p, char *buf, size_t cap);

/* ---- files ---- */

/* CLI_USAGE with a message when `out` names the same file (st_dev, st_ino) as any input. */
int cli_check_output(const cli_cmd *cmd, const char *out_opt, const char *out,
                     const char *const *inputs, int n_inputs);
/* The file name without directories and its last extension ("a/conv1.npy" -> "conv1"). */
void cli_file_stem(const char *path, char *buf, size_t cap);

/* "(2, 3, 4)" into buf. */
void cli_format_shape(const sc_array *a, char *buf, size_t cap);
/* Read a .npy file; on failure reports it (exit code returned), else CLI_OK. */
int cli_read_npy(const cli_cmd *cmd, const char *path, sc_array *out);
/* Read 4-D weights in `layout`; fills wd. Shape errors name the file and the dimension. */
int cli_read_weights(const cli_cmd *cmd, const char *path, sc_wlayout layout, sc_array *arr,
                     sc_wdesc *wd);
/* A warning on stderr (not an error) when `layout` reads shape as a kernel with a side
 * above 11 while another layout reads it as a square kernel of side 11 or less: the
 * weights were most likely given in that other layout. Called by cli_read_weights. */
void cli_warn_layout(const cli_cmd *cmd, const char *path, sc_wlayout layout,
                     const int64_t shape[4]);
/* Write a .npy atomically; reports failures. */
int cli_write_npy(const cli_cmd *cmd, const char *path, int ndim, const int64_t *shape,
                  const float *data);
/* Write bytes atomically (temporary file + rename); reports failures. */
int cli_write_file(const cli_cmd *cmd, const char *path, const void *data, size_t len);

/* Load one layer from a .sconv file: by name, or the only one (a file with several layers
 * and no name is a usage error listing the names). */
int cli_load_layer(const cli_cmd *cmd, const char *path, const char *name, sc_layer **out);

/* ---- transposed layers (kind conv_transpose) ---- */

/* The sc_conv_transpose_params of a conv_transpose layer: its stored stride, padding,
 * dilation, groups and output padding. */
void cli_transpose_params(const sc_layer_info *info, sc_conv_transpose_params *tp);

/* ---- comparing outputs ---- */

/* Differences between y and a reference over the same dims (each through its own
 * descriptor): max |y - ref|, max |ref|, their ratio (the relative error sconv reports),
 * and the L2 relative error ||y - ref|| / ||ref||. */
typedef struct cli_diff {
    double max_abs, ref_max, rel, l2_rel;
} cli_diff;

void cli_compare(const sc_tensor *yd, const float *y, const sc_tensor *rd, const float *ref,
                 cli_diff *out);

#define CLI_CHECK_TOLERANCE 1e-4  /* run --check and demo: relative error allowed */

/* ---- progress and time ---- */

typedef struct cli_progress {
    const char *label;
    int64_t total;
    double start;      /* seconds */
    double last_draw;  /* seconds, 0 = never drawn */
    bool tty;
} cli_progress;

/* A bar on stderr, drawn only when stderr is a terminal and the work has taken over a
 * second; at most ten redraws a second. */
void cli_progress_start(cli_progress *p, const char *label, int64_t total);
void cli_progress_update(cli_progress *p, int64_t done);
void cli_progress_end(cli_progress *p);

/* ---- random data (sweep, demo) ---- */

typedef struct cli_rng {
    uint64_t s[4];
} cli_rng;

void cli_rng_seed(cli_rng *r, uint64_t seed);
double cli_rng_uniform(cli_rng *r);  /* [0, 1) */
double cli_rng_normal(cli_rng *r);   /* mean 0, variance 1 */
/* Student's t with `dof` degrees of freedom, scaled to variance 1 (dof > 2): heavy tails. */
double cli_rng_student(cli_rng *r, int dof);

/* ---- timing and contention (sweep, demo) ---- */

/* One operator's timed runs: the fastest, the median, and the spread (median - min) / min,
 * which stays small on an idle machine and grows when other work takes the cores. */
typedef struct cli_times {
    double min_ms, median_ms, spread;
} cli_times;

/* Summarize n >= 1 samples in milliseconds (the array is left as given). */
void cli_times_summarize(const double *ms, int n, cli_times *out);

/* Evidence gathered over a whole sweep or demo on whether its timings can be trusted. */
typedef struct cli_contention {
    int threads, cores;    /* the threads each operator ran on; cores available to us */
    int n_times, n_spread; /* sample sets, and those whose spread exceeded CLI_SPREAD_LIMIT */
    double max_spread;
    int n_load, n_busy;    /* load samples, and those where others + threads > cores */
    int max_others;        /* most runnable threads of other processes seen (-1: unknown) */
} cli_contention;

#define CLI_SPREAD_LIMIT 0.25  /* a median 25% above the fastest run: not an idle machine */

void cli_contention_init(cli_contention *c, int threads, int cores);
void cli_contention_add_times(cli_contention *c, const cli_times *t);
/* others: runnable threads of other processes at one instant; negative when unknown. */
void cli_contention_add_load(cli_contention *c, int others);
/* True when at least a quarter of the sample sets spread beyond the limit, or at least a
 * quarter of the load samples found more runnable threads than cores. */
bool cli_contention_verdict(const cli_contention *c);
/* The verdict and its evidence for the table ("timings look clean: ..."); no final newline. */
void cli_contention_describe(const cli_contention *c, char *buf, size_t cap);
/* A short note for the plot: "1 thread of 2 cores; timings contended (...)". */
void cli_contention_note(const cli_contention *c, char *buf, size_t cap);

/* Runnable threads of other processes now, from /proc (-1 when it cannot be read). */
int cli_other_running(void);
/* Cores this process may run on (its affinity mask; at least 1). */
int cli_cores(void);
/* --threads for sweep and demo: 0 means OMP_NUM_THREADS when it is a positive count, else
 * every core available; other values are kept. The result is what the operators get. */
int cli_resolve_threads(int requested);

/* Times of `a` and of `b`, run alternately (one warm-up each) so both see the same machine
 * state; repeats 0 picks a count from the first run (3..50, ~0.3 s). Adds both sample sets
 * and a load sample to c (may be NULL). Returns the first failing status. */
sc_status cli_time_pair(const sc_conv *a, const sc_conv *b, const float *x, float *y,
                        int repeats, cli_contention *c, cli_times *ta, cli_times *tb);

/* ---- plots (gnuplot) ---- */

/* One curve; its name is shown as plain text in the legend. */
typedef struct cli_curve {
    const char *name;
    int n;
    const double *x, *y;
} cli_curve;

/* Two panels against sparsity: speedup of sparse over dense (break-even line at 1) and the
 * relative output error from pruning (log scale). Every string is shown as plain text. */
typedef struct cli_plot_spec {
    const char *title;  /* page title */
    const char *note;   /* over the speedup panel: threads and contention */
    const cli_curve *speed;
    int n_speed;
    const cli_curve *error;
    int n_error;
} cli_plot_spec;

/* A label made safe for gnuplot's data files and the PNG: control characters, '"' and
 * invalid UTF-8 become '?', and text beyond cap - 1 bytes is cut to end in "...". */
void cli_plot_label(const char *s, char *buf, size_t cap);
/* The gnuplot script, fixed text and numbers only: it reads the labels from title.txt,
 * note.txt and the first line of speedN.dat / errorN.dat, and writes plot.png. */
void cli_plot_script(FILE *g, const cli_plot_spec *p);
/* The data files the script reads, in the directory dir. */
sc_status cli_plot_data(const char *dir, const cli_plot_spec *p);

/* Render the plot with gnuplot in a private temporary directory and return the PNG bytes
 * (*png from sc_malloc, free with sc_free); `dest` only names the plot in messages. With
 * SCONV_PLOT_KEEP=DIR in the environment the script and its data files are also copied
 * into DIR. */
int cli_plot_render(const cli_cmd *cmd, const char *dest, const cli_plot_spec *p, void **png,
                    size_t *len);

/* ---- outputs committed together ---- */

typedef struct cli_output {
    const char *path;
    const void *data;
    size_t len;
} cli_output;

/* Write every output to a temporary file beside it, then rename them all into place: a
 * failure before the renames leaves every destination untouched. Reports failures. */
int cli_write_outputs(const cli_cmd *cmd, const cli_output *outs, int n);

/* ---- subcommand entry points ---- */

extern const cli_cmd cli_cmd_prune, cli_cmd_info, cli_cmd_unpack, cli_cmd_run, cli_cmd_convert,
    cli_cmd_sweep, cli_cmd_demo;

#endif
