/*
 * libFuzzer target for the batch manifest reader (cmd_batch.c through
 * cli_manifest_check): the columns, every row's fields, the options
 * column through the command line's own option parser, names and output
 * folders.  Whatever the manifest, the reader must not crash or leak, and
 * no run it accepts may have its folder outside the batch folder or share
 * one with another run (the status -2).  The reader's messages go to
 * stderr as in a batch; scripts/fuzz.sh runs this target with
 * -close_fd_mask=2 so that they do not drown libFuzzer's own report.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nruns = 0;
    if (cli_manifest_check("manifest.csv", data, size, &nruns) == -2)
        abort();
    return 0;
}
