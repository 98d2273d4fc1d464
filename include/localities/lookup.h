/*
 * Zone -> group lookups: CSV files that put each zone in an intermediate
 * zone, a council area, a ward, a settlement, or any grouping a CPP uses.
 *
 * A lookup has one zone code column and any number of group columns; a
 * column `X_name` (or `Xname`, `X name`) beside `X_code` is taken as the
 * names of X's groups.  A zone listed twice must agree on every column: a
 * zone in two groups of one grouping is an error, because a locality
 * cannot respect a grouping that does not partition the zones.
 */
#ifndef LOCALITIES_LOOKUP_H
#define LOCALITIES_LOOKUP_H

#include <stddef.h>

#include "localities/ctx.h"

typedef struct loc_lookup loc_lookup;

/*
 * Read a lookup.  zone_column names the zone code column ('|' alternatives
 * allowed); NULL detects a common name (dz11_code, DataZone, ...) and falls
 * back to the first column.  NULL on failure with the context's error set
 * (file and line named).  Free with loc_lookup_destroy.
 */
LOC_API loc_lookup *loc_lookup_read(loc_ctx *ctx, const char *path, const char *zone_column);

/* As loc_lookup_read from a buffer; name is used in messages. */
LOC_API loc_lookup *loc_lookup_parse(loc_ctx *ctx, const char *name, const void *buf, size_t len,
                                     const char *zone_column);

/* Free a lookup.  NULL does nothing. */
LOC_API void loc_lookup_destroy(loc_lookup *l);

LOC_API const char *loc_lookup_path(const loc_lookup *l);
LOC_API const char *loc_lookup_zone_column(const loc_lookup *l);

/* Columns of the file (the zone column included), by index. */
LOC_API size_t loc_lookup_ncols(const loc_lookup *l);
LOC_API const char *loc_lookup_col_name(const loc_lookup *l, size_t col);
/* Column index for a name ('|' alternatives, case ignored), or -1. */
LOC_API long loc_lookup_col(const loc_lookup *l, const char *name);
/* The names column paired with col, or -1. */
LOC_API long loc_lookup_name_col(const loc_lookup *l, size_t col);

/* Distinct zones listed. */
LOC_API size_t loc_lookup_nzones(const loc_lookup *l);
/* Rows of the file in order (a zone listed twice has two), and row r's
 * zone code, its value in column col and its line in the file. */
LOC_API size_t loc_lookup_nrows(const loc_lookup *l);
LOC_API const char *loc_lookup_row_zone(const loc_lookup *l, size_t r);
LOC_API const char *loc_lookup_row_get(const loc_lookup *l, size_t r, size_t col);
LOC_API size_t loc_lookup_row_line(const loc_lookup *l, size_t r);
/* Value of column col for a zone code: NULL when the zone is not listed,
 * "" when its cell is empty.  Owned by the lookup. */
LOC_API const char *loc_lookup_get(const loc_lookup *l, const char *zone, size_t col);

#endif
