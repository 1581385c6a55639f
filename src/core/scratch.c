/* src/core/scratch.c: take, give back and release an operator's idle scratch block */
#include "core/scratch.h"

#include "core/core.h"

/* Each block starts with a 64-byte header holding its usable size; callers get the bytes
 * after it, so they stay 64-byte aligned. */
enum { HEADER = 64 };

static size_t block_bytes(const void *block)
{
    return *(const size_t *)((const char *)block - HEADER);
}

static void block_free(void *block)
{
    if (block) sc_free((char *)block - HEADER);
}

void *sc_scratch_take(sc_scratch_slot *slot, size_t bytes)
{
    void *block = atomic_exchange(&slot->idle, NULL);
    if (block && block_bytes(block) >= bytes) return block;
    block_free(block);
    if (bytes > SIZE_MAX - HEADER) return NULL;
    char *raw = sc_aligned_alloc(HEADER, bytes + HEADER);
    if (!raw) return NULL;
    *(size_t *)raw = bytes;
    return raw + HEADER;
}

void sc_scratch_give(sc_scratch_slot *slot, void *block)
{
    if (!block) return;
    void *empty = NULL;
    if (!atomic_compare_exchange_strong(&slot->idle, &empty, block)) block_free(block);
}

void sc_scratch_release(sc_scratch_slot *slot)
{
    block_free(atomic_exchange(&slot->idle, NULL));
}
