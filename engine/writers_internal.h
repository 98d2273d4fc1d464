/*
 * What the writers share (dissolve.c, attrs.c, vector.c, report.c,
 * writers.c) and nothing else sees: the dissolved polygons' and the
 * attribute table's structures, the temporary files every writer stages
 * its output in, and each file's staging writer for loc_write_outputs.
 */
#ifndef LOCALITIES_WRITERS_INTERNAL_H
#define LOCALITIES_WRITERS_INTERNAL_H

#include "localities/writers.h"

#include <stdint.h>
#include <string.h>

struct loc_dissolved {
    loc_ctx *ctx;                 /* GEOS context and allocator owner */
    const loc_partition *p;       /* borrowed */
    const loc_boundaries *b;      /* borrowed */
    size_t n;                     /* localities */
    GEOSGeometry **geoms;         /* per locality, owned, EPSG:27700 */
    double *area, *perim;         /* per locality, m2 and m */
    double *zone_area;            /* per locality: sum of member zone areas */
    size_t fallbacks;             /* localities dissolved with ordinary union */
    size_t missing;               /* member zones without a boundary */
    size_t slivers;               /* sliver holes filled */
    double sliver_m;              /* holes narrower than this on average are filled */
    size_t traced;                /* localities whose outline was traced from segments */
    int geos_only;                /* 1: GEOS unions every locality, nothing traced */
};

struct attr_col {
    char *name;            /* owned */
    loc_attr_type type;
    double *real;          /* LOC_ATTR_REAL: nrows values */
    int64_t *ints;         /* LOC_ATTR_INT: nrows values */
    char **text;           /* LOC_ATTR_TEXT: nrows owned strings or NULL */
    unsigned char *null;   /* nrows flags, 1 while unset */
};

struct loc_attrs {
    loc_ctx *ctx;          /* allocator owner */
    size_t nrows;          /* localities */
    size_t ncols, cap;     /* columns, allocated */
    struct attr_col *cols;
};

/* The writers' own fields, which attribute columns may not shadow (attrs.c). */
#define LOC_WR_NFIXED 9
extern const char *const loc_wr_fixed_fields[LOC_WR_NFIXED];

/* a's columns fit d (as many rows as localities); LOC_EINVAL naming path
 * (vector.c). */
loc_status loc_wr_check_attrs(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *a, const char *path);

/* Hashing exact coordinates (the dissolve's trace, the GeoJSON's distinct
 * vertices): a 64-bit mixer, a coordinate's bits with -0 as 0, and a
 * zeroed table of at least 2 * n slots, a power of two (dissolve.c). */
static inline uint64_t loc_wr_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static inline uint64_t loc_wr_coord_bits(double v)
{
    uint64_t u;
    if (v == 0)
        v = 0;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* Make *tab a zeroed hash table of *cap slots, the least power of two of
 * at least 2 * n (and 16); *alloc is the slots allocated, kept across
 * calls so that a table reused for many small sets is neither reallocated
 * nor cleared beyond the slots in use. */
loc_status loc_wr_table_reset(loc_ctx *ctx, uint32_t **tab, size_t *cap, size_t *alloc, size_t n);

/* Temporary files are afile.c's (loc_afile_reserve, commit, discard in
 * internal.h). */

/* Each file written under a temporary name (*tmp, owned by the caller)
 * for loc_write_outputs to commit. */
/* The polygons of geoms, which share their boundaries vertex for vertex,
 * simplified together (Douglas-Peucker within tol metres on each arc
 * between junctions, once for both sides of a shared boundary) into
 * out[0..n), owned by the caller; on an error out is all NULL
 * (simplify.c). */
loc_status loc_simplify_coverage(loc_ctx *ctx, const GEOSGeometry *const *geoms, size_t n, double tol,
                                 GEOSGeometry **out);

loc_status loc_wr_stage_geojson(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                                char **tmp);
loc_status loc_wr_stage_gpkg(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path,
                             char **tmp);
loc_status loc_wr_stage_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                               const loc_report_opts *opts, const char *path, char **tmp);

#endif
