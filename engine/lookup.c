/*
 * Zone -> group lookups.  The file is read with the table reader and kept
 * whole; a string map from zone code to its first row answers queries.  The
 * consistency check (a zone listed twice must agree on every column) runs
 * once at read time, so that a bad lookup fails before any analysis.
 */
#include "localities/lookup.h"
#include "localities/csv.h"
#include "localities/strmap.h"
#include "internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

struct loc_lookup {
    loc_ctx *ctx;        /* allocator owner */
    loc_csv *csv;        /* the file */
    size_t zone_col;     /* index of the zone code column */
    long *name_col;      /* per column: paired names column or -1 */
    loc_strmap *rows;    /* zone code -> first row */
};

/* Stem of a code column: "iz11_code" -> "iz11_", "code" -> ""; 0 if the
 * header does not end in "code". */
static size_t code_stem(const char *h)
{
    size_t n = strlen(h);
    return n >= 4 && strcasecmp(h + n - 4, "code") == 0 ? n - 4 : (size_t)-1;
}

static void pair_names(loc_lookup *l)
{
    size_t nc = loc_csv_ncols(l->csv);
    for (size_t c = 0; c < nc; c++) {
        l->name_col[c] = -1;
        const char *h = loc_csv_header(l->csv, c);
        size_t stem = code_stem(h);
        if (stem == (size_t)-1)
            continue;
        for (size_t d = 0; d < nc; d++) {
            const char *g = loc_csv_header(l->csv, d);
            if (d != c && strlen(g) == stem + 4 && strncasecmp(g, h, stem) == 0 && strcasecmp(g + stem, "name") == 0)
                l->name_col[c] = (long)d;
        }
    }
}

static loc_status index_rows(loc_lookup *l)
{
    const loc_csv *csv = l->csv;
    size_t nr = loc_csv_nrows(csv), nc = loc_csv_ncols(csv);
    const char *zcol = loc_csv_header(csv, l->zone_col);
    for (size_t r = 0; r < nr; r++) {
        const char *zone = loc_csv_field(csv, r, l->zone_col);
        if (!*zone)
            return loc_error(l->ctx, LOC_EDATA, "'%s' line %zu: empty zone code in column '%s'", loc_csv_name(csv),
                             loc_csv_line(csv, r), zcol);
        long first;
        if (loc_strmap_put(l->rows, zone, (long)r, &first))
            return LOC_ENOMEM;
        if (first < 0)
            continue;
        for (size_t c = 0; c < nc; c++)
            if (strcmp(loc_csv_field(csv, r, c), loc_csv_field(csv, (size_t)first, c)) != 0)
                return loc_error(l->ctx, LOC_EDATA,
                                 "'%s' line %zu: zone '%s' is in '%s' in column '%s', but line %zu puts it in '%s'",
                                 loc_csv_name(csv), loc_csv_line(csv, r), zone, loc_csv_field(csv, r, c),
                                 loc_csv_header(csv, c), loc_csv_line(csv, (size_t)first),
                                 loc_csv_field(csv, (size_t)first, c));
    }
    return LOC_OK;
}

static loc_lookup *from_csv(loc_ctx *ctx, loc_csv *csv, const char *zone_column)
{
    if (!csv)
        return NULL;
    loc_lookup *l = loc_calloc(ctx, 1, sizeof *l);
    if (!l) {
        loc_csv_destroy(csv);
        return NULL;
    }
    l->ctx = ctx;
    l->csv = csv;
    long zc = loc_csv_column(csv, zone_column ? zone_column : LOC_ZONE_CODE_NAMES);
    if (zc < 0 && zone_column) {
        loc_error(ctx, LOC_EDATA, "'%s': no column '%s'", loc_csv_name(csv), zone_column);
        goto fail;
    }
    l->zone_col = zc < 0 ? 0 : (size_t)zc;
    if (loc_csv_ncols(csv) < 2) {
        loc_error(ctx, LOC_EDATA, "'%s': a lookup needs a zone column and at least one group column",
                  loc_csv_name(csv));
        goto fail;
    }
    if (!(l->name_col = loc_calloc(ctx, loc_csv_ncols(csv), sizeof *l->name_col)) ||
        !(l->rows = loc_strmap_create(ctx, loc_csv_nrows(csv))))
        goto fail;
    pair_names(l);
    if (index_rows(l))
        goto fail;
    return l;
fail:
    loc_lookup_destroy(l);
    return NULL;
}

loc_lookup *loc_lookup_read(loc_ctx *ctx, const char *path, const char *zone_column)
{
    return from_csv(ctx, loc_csv_read(ctx, path), zone_column);
}

loc_lookup *loc_lookup_parse(loc_ctx *ctx, const char *name, const void *buf, size_t len, const char *zone_column)
{
    return from_csv(ctx, loc_csv_parse(ctx, name, buf, len), zone_column);
}

void loc_lookup_destroy(loc_lookup *l)
{
    if (!l)
        return;
    loc_strmap_destroy(l->rows);
    loc_free(l->ctx, l->name_col);
    loc_csv_destroy(l->csv);
    loc_free(l->ctx, l);
}

const char *loc_lookup_path(const loc_lookup *l) { return loc_csv_name(l->csv); }
const char *loc_lookup_zone_column(const loc_lookup *l) { return loc_csv_header(l->csv, l->zone_col); }
size_t loc_lookup_ncols(const loc_lookup *l) { return loc_csv_ncols(l->csv); }
const char *loc_lookup_col_name(const loc_lookup *l, size_t col) { return loc_csv_header(l->csv, col); }
long loc_lookup_col(const loc_lookup *l, const char *name) { return loc_csv_column(l->csv, name); }
long loc_lookup_name_col(const loc_lookup *l, size_t col) { return l->name_col[col]; }
size_t loc_lookup_nzones(const loc_lookup *l) { return loc_strmap_count(l->rows); }
size_t loc_lookup_nrows(const loc_lookup *l) { return loc_csv_nrows(l->csv); }
const char *loc_lookup_row_zone(const loc_lookup *l, size_t r) { return loc_csv_field(l->csv, r, l->zone_col); }
const char *loc_lookup_row_get(const loc_lookup *l, size_t r, size_t col) { return loc_csv_field(l->csv, r, col); }
size_t loc_lookup_row_line(const loc_lookup *l, size_t r) { return loc_csv_line(l->csv, r); }

const char *loc_lookup_get(const loc_lookup *l, const char *zone, size_t col)
{
    long r = loc_strmap_get(l->rows, zone);
    return r < 0 ? NULL : loc_csv_field(l->csv, (size_t)r, col);
}
