/* src/cli/load_layer.c: one layer of a .sconv file, by name or as the only one */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_load_layer(const cli_cmd *cmd, const char *path, const char *name, sc_layer **out)
{
    sc_layer **layers = NULL;
    size_t n = 0;
    sc_status st = sc_file_read(path, &layers, &n);
    if (st != SC_OK) return cli_fail_status(cmd, st, path);
    int code = CLI_OK;
    size_t pick = n;
    for (size_t i = 0; i < n; ++i) {
        sc_layer_info info;
        sc_layer_get_info(layers[i], &info);
        if (name ? strcmp(info.name, name) == 0 : n == 1) pick = i;
    }
    if (n == 0) {
        code = cli_error(cmd, CLI_DATA, "%s: the file holds no layers", path);
    } else if (pick == n) {
        char names[1024] = "";
        size_t used = 0;
        for (size_t i = 0; i < n && used < sizeof names; ++i) {
            sc_layer_info info;
            sc_layer_get_info(layers[i], &info);
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     info.name);
        }
        if (name)
            code = cli_error(cmd, CLI_DATA, "%s: no layer named '%s' (the file holds: %s)", path,
                             name, names);
        else
            code = cli_usage_error(cmd, "%s holds %zu layers (%s): choose one with --name", path,
                                   n, names);
    } else {
        *out = layers[pick];
        layers[pick] = NULL;
    }
    sc_layers_destroy(layers, n);
    return code;
}
