/* tests/fuzz/fuzz_plot.c: libFuzzer target for the gnuplot script writer, its data files and
 * the label cleaning: no byte of a label ever reaches the script. It includes
 * src/cli/plot_script.c (unchanged) to check each data file's text in memory; the files
 * themselves are written and read back for inputs whose first byte is 247 or more (file
 * system calls would otherwise dominate the time).
 * Input: 4 header bytes (speed curves, error curves, points per curve, label capacity), then
 * 2 + curves labels (title, note, speed names, error names), each ended by a NUL byte, then
 * per curve and point one byte for x (x = byte / 256, a sparsity in [0, 1) as the CLI
 * passes) and 8 bytes for y (any double: NaN, Inf, huge, subnormal, negative). */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/plot_script.c"
#include "fuzz_util.h"

enum { MAX_CURVES = 8, MAX_POINTS = 8, LABEL_CAP = 256 };

/* The checks themselves carry no coverage instrumentation: the fuzzer is steered by the
 * code under test, and the comparisons here would only slow every execution. */
#define ORACLE __attribute__((no_sanitize("coverage")))

typedef struct input {
    const uint8_t *p, *end;
} input;

static uint8_t take_byte(input *in)
{
    return in->p < in->end ? *in->p++ : 0;
}

/* The next label up to a NUL byte or the end (copied: the input is not NUL-terminated). */
static char *take_label(input *in)
{
    const uint8_t *nul = memchr(in->p, 0, (size_t)(in->end - in->p));
    const size_t n = nul ? (size_t)(nul - in->p) : (size_t)(in->end - in->p);
    char *s = malloc(n + 1);
    FUZZ_CHECK(s != NULL, "malloc");
    memcpy(s, in->p, n);
    s[n] = '\0';
    in->p += n + (nul != NULL);
    return s;
}

static double take_double(input *in)
{
    uint8_t b[8] = {0};
    for (int i = 0; i < 8; ++i) b[i] = take_byte(in);
    double v;
    memcpy(&v, b, sizeof v);
    return v;
}

/* Length of the well-formed UTF-8 character at s, 0 if there is none; written apart from
 * the library's: decode the code point, then reject overlongs, surrogates and > U+10FFFF. */
ORACLE static int oracle_utf8(const unsigned char *s)
{
    int n;
    uint32_t cp;
    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xE0) == 0xC0) n = 2, cp = s[0] & 0x1Fu;
    else if ((s[0] & 0xF0) == 0xE0) n = 3, cp = s[0] & 0x0Fu;
    else if ((s[0] & 0xF8) == 0xF0) n = 4, cp = s[0] & 0x07u;
    else return 0;
    for (int i = 1; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* A byte gnuplot's data reader or the terminal could misread: controls, DEL and '"'. */
ORACLE static bool forbidden_byte(unsigned char c)
{
    return c < 0x20 || c == 0x7F || c == '"';
}

/* The whole label cleaned, uncut: each well-formed allowed character kept, every other
 * byte '?'. Returns the length; cuts[] marks where characters start. */
ORACLE static size_t oracle_clean(const char *s, char *out, bool *starts)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const int k = oracle_utf8(p);
        starts[n] = true;
        if (k == 0 || (k == 1 && forbidden_byte(*p))) {
            out[n++] = '?';
            ++p;
        } else {
            for (int i = 0; i < k; ++i) starts[n + (size_t)i] = i == 0, out[n + (size_t)i] = (char)p[i];
            n += (size_t)k;
            p += k;
        }
    }
    starts[n] = true;
    out[n] = '\0';
    return n;
}

/* cli_plot_label against the oracle: the clean text when it fits in cap - 1 bytes, else its
 * longest prefix ending on a character boundary that leaves room for "..." (nothing when
 * cap < 4); always valid UTF-8 without a forbidden byte. */
ORACLE static void check_label(const char *s, size_t cap)
{
    const size_t len = strlen(s);
    char *clean = malloc(len + 1), *buf = malloc(cap + 1);
    bool *starts = malloc(len + 1);
    FUZZ_CHECK(clean && buf && starts, "malloc");
    const size_t n = oracle_clean(s, clean, starts);
    memset(buf, 0x55, cap + 1);
    cli_plot_label(s, buf, cap);
    FUZZ_CHECK((unsigned char)buf[cap] == 0x55, "wrote past cap %zu", cap);
    if (cap == 0) {
        free(clean), free(buf), free(starts);
        return;
    }
    const size_t got = strnlen(buf, cap);
    FUZZ_CHECK(got < cap, "not terminated within cap %zu", cap);
    for (size_t i = 0; i < got;) {
        const int k = oracle_utf8((const unsigned char *)buf + i);
        FUZZ_CHECK(k > 0, "invalid UTF-8 at byte %zu of the cleaned label", i);
        FUZZ_CHECK(k > 1 || !forbidden_byte((unsigned char)buf[i]), "byte 0x%02x kept at %zu",
                   (unsigned char)buf[i], i);
        i += (size_t)k;
    }
    if (n < cap) {
        FUZZ_CHECK(got == n && memcmp(buf, clean, n) == 0, "label fits in cap %zu but differs",
                   cap);
    } else {
        size_t keep = cap >= 4 ? cap - 4 : 0;
        while (keep > 0 && !starts[keep]) --keep;
        const size_t want = cap >= 4 ? keep + 3 : 0;
        FUZZ_CHECK(got == want, "cut label: %zu bytes, expected %zu (cap %zu)", got, want, cap);
        FUZZ_CHECK(memcmp(buf, clean, keep) == 0, "cut label: prefix differs");
        FUZZ_CHECK(cap < 4 || memcmp(buf + keep, "...", 3) == 0, "cut label: no \"...\"");
    }
    free(clean), free(buf), free(starts);
}

static char *script_of(const cli_plot_spec *p, size_t *len)
{
    char *text = NULL;
    FILE *g = open_memstream(&text, len);
    FUZZ_CHECK(g != NULL, "open_memstream");
    cli_plot_script(g, p);
    FUZZ_CHECK(fclose(g) == 0, "memstream");
    return text;
}

/* "set <axis>range [lo:hi]" lines in order: finite numbers with lo < hi. */
ORACLE static int ranges(const char *s, const char *axis, double *lo, double *hi, int max)
{
    char key[32];
    snprintf(key, sizeof key, "set %srange [", axis);
    int n = 0;
    for (const char *q = s; (q = strstr(q, key)); ++q) {
        FUZZ_CHECK(n < max, "more than %d %srange lines", max, axis);
        char *end;
        lo[n] = strtod(q + strlen(key), &end);
        FUZZ_CHECK(*end == ':', "%srange: %.40s", axis, q);
        hi[n] = strtod(end + 1, &end);
        FUZZ_CHECK(*end == ']' && end[1] == '\n', "%srange: %.40s", axis, q);
        FUZZ_CHECK(isfinite(lo[n]) && isfinite(hi[n]) && lo[n] < hi[n], "%srange [%g:%g]", axis,
                   lo[n], hi[n]);
        ++n;
    }
    return n;
}

/* The script: the same bytes whatever the labels (fixed text and numbers only), printable
 * ASCII lines without the bytes gnuplot gives a meaning beyond text ('`' runs a command,
 * '!' a shell line, '@' and '$' expand macros and data blocks), and axes gnuplot accepts. */
ORACLE static void check_script(const cli_plot_spec *p)
{
    size_t len, len2;
    char *s = script_of(p, &len);
    cli_curve speed[MAX_CURVES], error[MAX_CURVES];
    for (int i = 0; i < p->n_speed; ++i) speed[i] = p->speed[i], speed[i].name = "L";
    for (int i = 0; i < p->n_error; ++i) error[i] = p->error[i], error[i].name = "L";
    const cli_plot_spec plain = {"T", "N", speed, p->n_speed, error, p->n_error};
    char *s2 = script_of(&plain, &len2);
    FUZZ_CHECK(len == len2 && memcmp(s, s2, len) == 0, "the script depends on a label");
    FUZZ_CHECK(strlen(s) == len, "NUL byte in the script");
    for (size_t i = 0; i < len; ++i) {
        const unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK(c == '\n' || (c >= 0x20 && c < 0x7F), "byte 0x%02x at %zu", c, i);
        FUZZ_CHECK(!strchr("`!@$", c), "'%c' at %zu", c, i);
    }
    double lo[2], hi[2];
    FUZZ_CHECK(ranges(s, "x", lo, hi, 1) == 1, "one xrange");
    FUZZ_CHECK(ranges(s, "y", lo, hi, 2) == 2, "two yranges");
    FUZZ_CHECK(lo[0] >= 0 && lo[0] < 1 && hi[0] > 1, "speedup axis [%g:%g] without 1 inside",
               lo[0], hi[0]);
    FUZZ_CHECK(lo[1] > 0, "log axis from %g", lo[1]);
    free(s);
    free(s2);
}

/* Read a data file whole; NULL if missing. */
ORACLE static char *slurp(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1024, n = 0;
    char *s = malloc(cap);
    FUZZ_CHECK(s != NULL, "malloc");
    for (size_t r; (r = fread(s + n, 1, cap - n - 1, f)) > 0;) {
        n += r;
        if (n + 1 == cap) {
            s = realloc(s, cap *= 2);
            FUZZ_CHECK(s != NULL, "realloc");
        }
    }
    fclose(f);
    s[n] = '\0';
    FUZZ_CHECK(strlen(s) == n, "%s: NUL byte", name);
    return s;
}

/* One data file's text: "<tag>\t<cleaned label>\n", then one line "x\ty" per point drawn,
 * bit-equal to the values given. */
ORACLE static void check_data_text(const char *s, const char *name, const char *tag, const char *label,
                            const cli_curve *c, bool log_scale)
{
    char want[LABEL_CAP];
    cli_plot_label(label ? label : "", want, sizeof want);
    const size_t tl = strlen(tag), wl = strlen(want);
    FUZZ_CHECK(strncmp(s, tag, tl) == 0 && s[tl] == '\t' && strncmp(s + tl + 1, want, wl) == 0 &&
                   s[tl + 1 + wl] == '\n',
               "%s: first line", name);
    FUZZ_CHECK(!strchr(want, '\t') && !strchr(want, '\n') && !strchr(want, '"'),
               "%s: label breaks the line", name);
    const char *q = s + tl + 2 + wl;
    for (int k = 0; c && k < c->n; ++k) {
        /* drawn: |y| <= 1e300, and y >= 1e-300 on the log axis (see plot_script.c) */
        if (!(fabs(c->y[k]) <= 1e300) || (log_scale && !(c->y[k] >= 1e-300))) continue;
        char *end;
        const double x = strtod(q, &end);
        FUZZ_CHECK(end > q && *end == '\t', "%s: point %d", name, k);
        const double y = strtod(end + 1, &end);
        FUZZ_CHECK(*end == '\n', "%s: point %d", name, k);
        FUZZ_CHECK(memcmp(&x, &c->x[k], 8) == 0 && memcmp(&y, &c->y[k], 8) == 0,
                   "%s: point %d is %.17g %.17g, given %.17g %.17g", name, k, x, y, c->x[k],
                   c->y[k]);
        q = end + 1;
    }
    FUZZ_CHECK(*q == '\0', "%s: extra text %.40s", name, q);
}

/* One data file, in memory (put_data) and, when on_disk, as cli_plot_data wrote it. */
static void check_data_file(const char *dir, const char *name, const char *tag,
                            const char *label, const cli_curve *c, bool log_scale)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FUZZ_CHECK(f != NULL, "open_memstream");
    const cli_curve title = {label, 0, NULL, NULL};
    put_data(f, tag, c ? c : &title, log_scale);
    FUZZ_CHECK(fclose(f) == 0, "memstream");
    check_data_text(text, name, tag, label, c, log_scale);
    if (dir) {
        char *s = slurp(dir, name);
        FUZZ_CHECK(s != NULL, "%s not written", name);
        FUZZ_CHECK(strcmp(s, text) == 0, "%s: the file differs from put_data's text", name);
        free(s);
    }
    free(text);
}

/* Every data file; on disk, exactly the fixed names appear in the directory (then removed). */
static void check_data(const cli_plot_spec *p, bool on_disk)
{
    const char *dir = on_disk ? fuzz_scratch_dir() : NULL;
    if (dir) FUZZ_CHECK(cli_plot_data(dir, p) == SC_OK, "cli_plot_data: %s", sc_last_message());
    check_data_file(dir, "title.txt", "T", p->title, NULL, false);
    check_data_file(dir, "note.txt", "N", p->note, NULL, false);
    char name[32];
    for (int i = 0; i < p->n_speed; ++i) {
        snprintf(name, sizeof name, "speed%d.dat", i);
        check_data_file(dir, name, "x", p->speed[i].name, &p->speed[i], false);
    }
    for (int i = 0; i < p->n_error; ++i) {
        snprintf(name, sizeof name, "error%d.dat", i);
        check_data_file(dir, name, "x", p->error[i].name, &p->error[i], true);
    }
    if (!dir) return;
    int files = 0;
    DIR *d = opendir(dir);
    FUZZ_CHECK(d != NULL, "opendir");
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        ++files;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    FUZZ_CHECK(files == 2 + p->n_speed + p->n_error, "%d files written, expected %d", files,
               2 + p->n_speed + p->n_error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    input in = {data, data + len};
    const bool on_disk = len > 0 && data[0] >= 247;  /* 247..255 cover every speed count */
    const int n_speed = take_byte(&in) % (MAX_CURVES + 1);
    const int n_error = take_byte(&in) % (MAX_CURVES + 1);
    const int n = take_byte(&in) % (MAX_POINTS + 1);
    const size_t cap = (size_t)take_byte(&in) + 1;  /* 1..256, the writer's own is 256 */
    char *labels[2 + 2 * MAX_CURVES];
    const int n_labels = 2 + n_speed + n_error;
    for (int i = 0; i < n_labels; ++i) labels[i] = take_label(&in);
    double x[2 * MAX_CURVES][MAX_POINTS], y[2 * MAX_CURVES][MAX_POINTS];
    cli_curve curves[2 * MAX_CURVES];
    for (int i = 0; i < n_speed + n_error; ++i) {
        for (int k = 0; k < n; ++k) {
            x[i][k] = take_byte(&in) / 256.0;
            y[i][k] = take_double(&in);
        }
        curves[i] = (cli_curve){labels[2 + i], n, x[i], y[i]};
    }
    const cli_plot_spec spec = {labels[0], labels[1], curves, n_speed, curves + n_speed, n_error};
    for (int i = 0; i < n_labels; ++i) {
        check_label(labels[i], cap);
        check_label(labels[i], LABEL_CAP);
    }
    check_script(&spec);
    check_data(&spec, on_disk);
    for (int i = 0; i < n_labels; ++i) free(labels[i]);
    return 0;
}
