/*
 * libFuzzer target for the table reader (loc_csv_parse).  Any byte string
 * must give either a rectangular table or an error with a message; never a
 * crash, an out-of-bounds read, a leak or an unbounded allocation.  Every
 * cell of an accepted table is read back and parsed as a number, and the
 * table's own invariants are checked: each row starts on a line no earlier
 * than the previous row's, and a failure always leaves a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localities/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 0;
    loc_csv *csv = loc_csv_parse(ctx, "fuzz.csv", data, size);
    if (!csv) {
        if (loc_errcode(ctx) == LOC_OK || !loc_errmsg(ctx)[0])
            abort(); /* a refusal must say why */
    } else {
        size_t nc = loc_csv_ncols(csv), nr = loc_csv_nrows(csv), last = 0;
        if (nc == 0 || nr == 0)
            abort(); /* header-only and empty files are refused */
        for (size_t c = 0; c < nc; c++)
            (void)strlen(loc_csv_header(csv, c));
        for (size_t r = 0; r < nr; r++) {
            size_t line = loc_csv_line(csv, r);
            if (line <= last && r > 0)
                abort();
            last = line;
            for (size_t c = 0; c < nc; c++) {
                double v;
                (void)loc_parse_number(loc_csv_field(csv, r, c), &v);
            }
        }
        (void)loc_csv_column(csv, "Data_Zone|zone|x");
        loc_csv_destroy(csv);
    }
    loc_ctx_destroy(ctx);
    return 0;
}
