/*
 * libFuzzer target for the zone -> group lookup reader (loc_lookup_parse).
 * An accepted lookup is queried for every zone it lists and every column,
 * and must answer consistently: every row's zone is found with that row's
 * values, and the name pairing points at real columns.  A refused one
 * must leave a message.  The first byte picks whether the zone column is
 * detected or named, so both paths are explored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "localities/csv.h"
#include "localities/lookup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *zone_column = (data[0] & 1) ? "dz11_code|zone" : NULL;
    data++;
    size--;
    loc_ctx *ctx = loc_ctx_create(NULL);
    if (!ctx)
        return 0;
    loc_lookup *l = loc_lookup_parse(ctx, "fuzz.csv", data, size, zone_column);
    if (!l) {
        if (loc_errcode(ctx) == LOC_OK || !loc_errmsg(ctx)[0])
            abort();
    } else {
        size_t nc = loc_lookup_ncols(l);
        if (nc < 2 || loc_lookup_nzones(l) == 0)
            abort();
        for (size_t c = 0; c < nc; c++) {
            long nm = loc_lookup_name_col(l, c);
            if (nm >= (long)nc || nm == (long)c)
                abort();
            (void)strlen(loc_lookup_col_name(l, c));
        }
        /* the same bytes as a table: every row's zone must be found, with
         * its own code in the zone column and the row's values (the check
         * at read time made every copy of a zone agree) */
        loc_csv *csv = loc_csv_parse(ctx, "fuzz.csv", data, size);
        if (!csv || loc_csv_ncols(csv) != nc)
            abort();
        const char *zname = loc_lookup_zone_column(l);
        size_t zc = nc;
        for (size_t c = 0; c < nc && zc == nc; c++)
            if (loc_csv_header(csv, c) == zname || strcmp(loc_csv_header(csv, c), zname) == 0)
                zc = c;
        if (zc == nc)
            abort();
        for (size_t r = 0; r < loc_csv_nrows(csv); r++) {
            const char *zone = loc_csv_field(csv, r, zc);
            for (size_t c = 0; c < nc; c++) {
                const char *v = loc_lookup_get(l, zone, c);
                if (!v || strcmp(v, loc_csv_field(csv, r, c)) != 0)
                    abort();
            }
        }
        if (loc_lookup_get(l, "", 0) != NULL)
            abort(); /* empty codes are refused at read time */
        loc_csv_destroy(csv);
        loc_lookup_destroy(l);
    }
    loc_ctx_destroy(ctx);
    return 0;
}
