/* tests/fuzz/fuzz_util.c: scratch directory and invariant failures for the fuzz targets */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: fuzz invariant failed: %s: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static char scratch_dir[256];
static char scratch_file[512];

static void remove_scratch(void)
{
    if (!scratch_dir[0]) return;
    /* the targets write only these names here (atomic writes leave no temporary file) */
    static const char *const names[] = {"a.npy", "a.sconv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", scratch_dir, names[i]);
        unlink(p);
    }
    rmdir(scratch_dir);
}

const char *fuzz_scratch_path(const char *name)
{
    if (!scratch_dir[0]) {
        const char *base = getenv("SCONV_FUZZ_TMP");
        struct stat sb;
        if (!base || !*base) base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : NULL;
        if (!base) base = getenv("TMPDIR");
        if (!base || !*base) base = "/tmp";
        snprintf(scratch_dir, sizeof scratch_dir, "%s/sconv-fuzz-XXXXXX", base);
        if (!mkdtemp(scratch_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(remove_scratch);
    }
    snprintf(scratch_file, sizeof scratch_file, "%s/%s", scratch_dir, name);
    return scratch_file;
}

const char *fuzz_scratch_dir(void)
{
    fuzz_scratch_path("");
    return scratch_dir;
}
