/* src/io/name_index.h: names sorted once, for duplicate checks and look-ups in O(n log n) */
#ifndef SC_IO_NAME_INDEX_H
#define SC_IO_NAME_INDEX_H

#include <stddef.h>

/* A name and its position in the caller's list; the name is borrowed. */
typedef struct sc_name_ref {
    const char *name;
    size_t i;
} sc_name_ref;

/* Sort r[0..n) by name (bytes as unsigned, as strcmp), equal names by position. */
void sc_names_sort(sc_name_ref *r, size_t n);

/* For sorted r: 1 and the positions *first < *second of the repeated name whose second
 * occurrence comes earliest in the list (what a scan from the front meets first), else 0. */
int sc_names_first_repeat(const sc_name_ref *r, size_t n, size_t *first, size_t *second);

/* For sorted r: the position of the name equal to the len bytes at key (no NUL among them;
 * key need not end there), or n when no name is. */
size_t sc_names_find(const sc_name_ref *r, size_t n, const char *key, size_t len);

#endif
