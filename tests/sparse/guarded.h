/* tests/sparse/guarded.h: float buffers that end where an inaccessible page begins, for out-of-bounds read checks */
#ifndef TESTS_SPARSE_GUARDED_H
#define TESTS_SPARSE_GUARDED_H

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* len floats that end where an inaccessible page begins: a read past the last one faults
 * (the including file defines _DEFAULT_SOURCE for MAP_ANONYMOUS). */
typedef struct guarded {
    float *p;
    void *map;
    size_t map_bytes;
} guarded;

static inline guarded guarded_alloc(int64_t len)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t bytes = (size_t)len * sizeof(float), body = (bytes + page - 1) / page * page;
    guarded g = {NULL, NULL, body + page};
    g.map = mmap(NULL, g.map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(g.map, MAP_FAILED);
    cr_assert_eq(mprotect((char *)g.map + body, page, PROT_NONE), 0);
    g.p = (float *)(void *)((char *)g.map + body - bytes);
    return g;
}

static inline void guarded_free(guarded *g)
{
    munmap(g->map, g->map_bytes);
}

#endif
