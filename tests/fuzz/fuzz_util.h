/* tests/fuzz/fuzz_util.h: helpers shared by the libFuzzer targets (scratch files, checks) */
#ifndef SC_FUZZ_UTIL_H
#define SC_FUZZ_UTIL_H

#include <stddef.h>

/* A fuzz invariant: on failure print the message and abort(), which libFuzzer reports
 * as a crash with the input saved (unlike assert, this survives -DNDEBUG). */
#define FUZZ_CHECK(cond, ...)                                                         \
    do {                                                                              \
        if (!(cond)) fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);               \
    } while (0)

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* A per-process scratch directory on a memory file system when there is one
 * ($SCONV_FUZZ_TMP, else /dev/shm, else $TMPDIR or /tmp), created on first use and
 * removed at exit. Returns "<dir>/<name>" in a static buffer. */
const char *fuzz_scratch_path(const char *name);
/* That scratch directory itself; files a target leaves in it must be removed by the target. */
const char *fuzz_scratch_dir(void);

#endif
