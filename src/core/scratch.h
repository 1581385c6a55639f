/* src/core/scratch.h: the scratch block an operator keeps from one run to the next */
#ifndef SC_SCRATCH_H
#define SC_SCRATCH_H

#include <stdatomic.h>
#include <stddef.h>

/* At most one idle block, handed to whichever run takes it first: allocating a run's
 * scratch (phase planes, panels, tile buffers) afresh each time paid the page faults of
 * memory the C library had given back to the system (docs/kernels.md, first section).
 * Concurrent runs on one operator stay safe: a run that finds the slot empty allocates
 * its own block, and a run that finds it full on return frees its block. */
typedef struct sc_scratch_slot {
    _Atomic(void *) idle;  /* a block from sc_scratch_take, or NULL */
} sc_scratch_slot;

/* A 64-byte aligned block of at least `bytes`: the idle one when it is large enough
 * (a smaller idle block is freed), else a new allocation. NULL when out of memory. */
void *sc_scratch_take(sc_scratch_slot *slot, size_t bytes);

/* Return a block from sc_scratch_take (NULL is ignored): kept when the slot is empty, else
 * freed. */
void sc_scratch_give(sc_scratch_slot *slot, void *block);

/* Free the idle block, if any (operator destroyed or planned for a new shape). */
void sc_scratch_release(sc_scratch_slot *slot);

#endif
