/* tests/fuzz/fuzz_cli.c: libFuzzer target for `sconv prune` and `sconv run` option parsing.
 * Input: one selector byte (even: prune, odd: run), then the arguments separated by NUL
 * bytes. Stdout and stderr carry usage messages: run with -close_fd_mask=3. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz_cli.h"

enum { MAX_ARGS = 64 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 1) return 0;
    const bool run = data[0] & 1;
    /* a private NUL-terminated copy: the parser keeps pointers into argv */
    char *text = malloc(len + 1);
    FUZZ_CHECK(text != NULL, "malloc");
    memcpy(text, data + 1, len - 1);
    text[len - 1] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = run ? "run" : "prune";
    for (size_t at = 0; at < len - 1 && argc <= MAX_ARGS; at += strlen(text + at) + 1)
        argv[argc++] = text + at;
    argv[argc] = NULL;
    const int code = run ? fuzz_run_parse(argc, argv) : fuzz_prune_parse(argc, argv);
    FUZZ_CHECK(code == CLI_OK || code == CLI_USAGE, "parse returned exit code %d", code);
    free(text);
    return 0;
}
