/* src/core/alloc.c: the one allocation wrapper: size limit and failure injection */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static _Atomic size_t limit_bytes;       /* 0 until first use: then default or env */
static _Atomic uint64_t alloc_count;     /* allocations since the last sc_alloc_fail_at */
static _Atomic uint64_t fail_at;         /* 0: never fail */

/* Parse SCONV_MAX_ALLOC ("4G", "512M", "100000"); 0 when absent or malformed. */
static size_t env_limit(void)
{
    const char *s = getenv("SCONV_MAX_ALLOC");
    /* digits first: strtoull would accept "-5" (as 2^64 - 5, no limit) and leading spaces */
    if (!s || *s < '0' || *s > '9') return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
    if (*end != '\0' || v == 0 || v > (SIZE_MAX >> shift)) return 0;
    return (size_t)v << shift;
}

size_t sc_alloc_limit(void)
{
    size_t lim = atomic_load(&limit_bytes);
    if (lim == 0) {
        lim = env_limit();
        if (lim == 0) lim = SC_DEFAULT_ALLOC_LIMIT;
        atomic_store(&limit_bytes, lim);
    }
    return lim;
}

void sc_alloc_set_limit(size_t bytes)
{
    atomic_store(&limit_bytes, bytes);  /* 0: recomputed from env/default on next use */
}

uint64_t sc_alloc_fail_at(uint64_t n)
{
    uint64_t seen = atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_at, n);
    return seen;
}

/* Count this allocation and say whether it must fail (injection or limit). */
static bool refuse(size_t size)
{
    uint64_t k = atomic_fetch_add(&alloc_count, 1) + 1;
    uint64_t f = atomic_load(&fail_at);
    if (f != 0 && k == f) return true;
    return size > sc_alloc_limit();
}

void *sc_malloc(size_t size)
{
    if (refuse(size)) return NULL;
    return malloc(size ? size : 1);
}

void *sc_calloc(size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total) || refuse(total)) return NULL;
    return calloc(total ? count : 1, total ? size : 1);
}

void *sc_aligned_alloc(size_t alignment, size_t size)
{
    if (refuse(size)) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, alignment, size ? size : alignment) != 0) return NULL;
    return p;
}

void sc_free(void *p)
{
    free(p);
}

sc_status sc_alloc_array(void **out, size_t count, size_t size, bool zero, const char *what)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        return sc_fail(SC_EOVERFLOW, "%s: %zu x %zu bytes overflows size_t", what, count, size);
    if (total > sc_alloc_limit())
        return sc_fail(SC_ENOMEM, "%s: %zu bytes exceeds the allocation limit of %zu bytes "
                       "(SCONV_MAX_ALLOC)", what, total, sc_alloc_limit());
    void *p = zero ? sc_calloc(count, size) : sc_malloc(total);
    if (!p) return sc_fail(SC_ENOMEM, "%s: cannot allocate %zu bytes", what, total);
    *out = p;
    return SC_OK;
}

int64_t sc_checked_product(const int64_t *ext, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; ++i) {
        if (ext[i] < 0 || sc_mul_ovf(p, ext[i], &p)) return -1;
    }
    if ((uint64_t)p > SIZE_MAX / sizeof(float)) return -1;
    return p;
}
