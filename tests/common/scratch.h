/* tests/common/scratch.h: removing the scratch directories that tests make */
#ifndef TESTS_COMMON_SCRATCH_H
#define TESTS_COMMON_SCRATCH_H

/* Remove dir and everything under it, subdirectories included; a missing dir is fine. */
void ct_remove_tree(const char *dir);

#endif
