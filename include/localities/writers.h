/*
 * Writers: the outputs mapping teams and analysts open, built from a
 * partition of the zone table.
 *
 * The dissolve turns each locality's zones into one polygon with GEOS
 * (coverage union when the zones form a clean coverage, ordinary union
 * otherwise) and measures it; the report and the builder summary read its
 * areas and compactness.  The attribute table carries whatever the later
 * stages know about each locality (indicator estimates, intervals, flags)
 * as named columns, so that the writers need not know the statistics
 * module.  Every writer writes under a temporary name in the output folder
 * and renames over the final name at the end: a failure leaves an earlier
 * output at that path untouched and no partial file behind.
 *
 * Outputs: localities.geojson (RFC 7946: WGS 84 longitude/latitude, six
 * decimals, no crs member, counter-clockwise exterior rings), a GeoPackage
 * in British National Grid with a localities and a zones layer, and a
 * self-contained HTML report whose maps and funnel plots are inline SVG.
 */
#ifndef LOCALITIES_WRITERS_H
#define LOCALITIES_WRITERS_H

#include <stddef.h>
#include <stdint.h>

#include "localities/boundary.h"
#include "localities/csv.h"
#include "localities/partition.h"

/* ---------------------------------------------------------------------
 * Dissolve
 * --------------------------------------------------------------------- */

typedef struct loc_dissolved loc_dissolved;

/* Holes whose mean width (2 area / perimeter) is below this are slivers
 * between neighbouring zones, not real holes, and are filled.  Exact
 * coverages have none; boundaries simplified zone by zone leave gaps about
 * as wide as their simplification tolerance, so pass that instead. */
#define LOC_SLIVER_WIDTH_M 1.0

typedef struct loc_dissolve_opts {
    double sliver_m;  /* sliver width in metres (see LOC_SLIVER_WIDTH_M); 0 fills no holes */
    int geos_only;    /* 1: GEOS unions every locality, none traced from segments (for checks) */
    int threads;      /* localities dissolved at once: 0 one per processor (at most 8), 1 none
                       * beside the caller; never changes the result */
} loc_dissolve_opts;

/* Fill opts with the defaults (sliver_m = LOC_SLIVER_WIDTH_M, outlines
 * traced, one thread per processor); passing NULL opts to loc_dissolve
 * means the same. */
LOC_API void loc_dissolve_opts_init(loc_dissolve_opts *opts);

/*
 * Union each locality's zone polygons.  On a clean coverage the outline is
 * traced from the zones' segments that no other member shares (the same
 * polygons as GEOS coverage union, after normalisation); a locality the
 * trace cannot explain goes to GEOS coverage union, and to ordinary union
 * when its zones are not a coverage.  b must be the boundaries the
 * partition's zone table was joined with (loc_zones_boundary indexes it);
 * p and b are borrowed and must outlive the result, which uses the GEOS
 * context of ctx.  opts may be NULL.  Zones with no boundary are skipped
 * and counted; a locality none of whose zones has a boundary gets an empty
 * geometry.  Each result is valid and polygonal; sliver holes (gaps
 * between zones simplified one by one) are filled.  NULL with the error
 * set: LOC_EGEOM when GEOS fails on a locality (named), LOC_EINVAL for a
 * boundary index out of range or a negative sliver width, LOC_ENOMEM.
 * Free with loc_dissolved_destroy.  The result is only read afterwards:
 * several threads, each with its own loc_ctx, may read it (and write
 * files from it) at once.
 */
LOC_API loc_dissolved *loc_dissolve(loc_ctx *ctx, const loc_partition *p, const loc_boundaries *b,
                                    const loc_dissolve_opts *opts);

/* Free.  NULL does nothing. */
LOC_API void loc_dissolved_destroy(loc_dissolved *d);

/* The partition and boundaries it was made from (borrowed). */
LOC_API const loc_partition *loc_dissolved_partition(const loc_dissolved *d);
LOC_API const loc_boundaries *loc_dissolved_boundaries(const loc_dissolved *d);

/* Localities (loc_partition_count). */
LOC_API size_t loc_dissolved_count(const loc_dissolved *d);
/* Locality k's polygon in EPSG:27700 (Polygon or MultiPolygon, possibly
 * empty); borrowed, valid while d lives. */
LOC_API const GEOSGeometry *loc_dissolved_geom(const loc_dissolved *d, size_t k);
/* Area in square metres, perimeter in metres (holes included), and
 * Polsby-Popper compactness 4 pi A / P^2 (1 for a disc, NaN when empty). */
LOC_API double loc_dissolved_area_m2(const loc_dissolved *d, size_t k);
LOC_API double loc_dissolved_perimeter_m(const loc_dissolved *d, size_t k);
LOC_API double loc_dissolved_compactness(const loc_dissolved *d, size_t k);
/* Sum of the member zones' own areas (to check the union lost nothing). */
LOC_API double loc_dissolved_zone_area_m2(const loc_dissolved *d, size_t k);
/* Localities whose zones were not a clean coverage, so that ordinary
 * union replaced coverage union; member zones with no boundary; sliver
 * holes removed. */
LOC_API size_t loc_dissolved_fallbacks(const loc_dissolved *d);
LOC_API size_t loc_dissolved_missing(const loc_dissolved *d);
LOC_API size_t loc_dissolved_slivers(const loc_dissolved *d);
/* Localities whose outline was traced from their zones' segments (the
 * others went to GEOS). */
LOC_API size_t loc_dissolved_traced(const loc_dissolved *d);

/* ---------------------------------------------------------------------
 * Attribute table: extra per-locality columns for the writers
 * --------------------------------------------------------------------- */

typedef enum loc_attr_type {
    LOC_ATTR_REAL = 0, /* double; NaN is null */
    LOC_ATTR_INT,      /* int64_t (counts, 0/1 flags) */
    LOC_ATTR_TEXT      /* string (copied) */
} loc_attr_type;

typedef struct loc_attrs loc_attrs;

/* An empty table of nrows rows (one per locality) and no columns.  NULL
 * with the error set.  Free with loc_attrs_destroy. */
LOC_API loc_attrs *loc_attrs_create(loc_ctx *ctx, size_t nrows);
/* Free.  NULL does nothing. */
LOC_API void loc_attrs_destroy(loc_attrs *a);

/*
 * Add a column; every cell starts null.  The name (copied) must be
 * non-empty, unique and not one of the writers' own fields (code, name,
 * council_code, council_name, population, zones, area_km2, perimeter_km,
 * compactness, id): LOC_EINVAL.  *col (may be NULL) gets its index.
 */
LOC_API loc_status loc_attrs_add(loc_ctx *ctx, loc_attrs *a, const char *name, loc_attr_type type, size_t *col);

/* Set a cell.  LOC_EINVAL for a row or column out of range or a column of
 * another type; text is copied (NULL sets null); LOC_ENOMEM. */
LOC_API loc_status loc_attrs_set_real(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, double v);
LOC_API loc_status loc_attrs_set_int(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, int64_t v);
LOC_API loc_status loc_attrs_set_text(loc_ctx *ctx, loc_attrs *a, size_t col, size_t row, const char *s);

/* Shape and cells.  The getters need a column of their type; a null cell
 * reads as NaN, 0 or NULL.  Text is owned by the table. */
LOC_API size_t loc_attrs_nrows(const loc_attrs *a);
LOC_API size_t loc_attrs_ncols(const loc_attrs *a);
LOC_API const char *loc_attrs_name(const loc_attrs *a, size_t col);
LOC_API loc_attr_type loc_attrs_type(const loc_attrs *a, size_t col);
/* Column index of a name, or -1. */
LOC_API long loc_attrs_find(const loc_attrs *a, const char *name);
LOC_API int loc_attrs_is_null(const loc_attrs *a, size_t col, size_t row);
LOC_API double loc_attrs_real(const loc_attrs *a, size_t col, size_t row);
LOC_API int64_t loc_attrs_int(const loc_attrs *a, size_t col, size_t row);
LOC_API const char *loc_attrs_text(const loc_attrs *a, size_t col, size_t row);

/* ---------------------------------------------------------------------
 * Geographic files
 * --------------------------------------------------------------------- */

/*
 * localities.geojson as GDAL's GeoJSON driver writes it in RFC 7946 mode
 * (the same bytes, written directly and reprojected with GDAL's
 * transformation once per distinct vertex): one
 * feature per locality in partition order, "id" its locality code, with
 * properties code, name, council_code, council_name (null when it spans
 * councils), population, zones, area_km2, perimeter_km, compactness, then
 * every column of attrs (may be NULL; else loc_attrs_nrows must equal the
 * locality count).  Coordinates are WGS 84 longitude/latitude to six
 * decimals.  Written to a temporary file beside path and renamed at the
 * end.  LOC_EIO naming path, LOC_EINVAL, LOC_EGEOM, LOC_ECRS (no
 * transformation to WGS 84), LOC_ENOMEM.
 */
LOC_API loc_status loc_write_geojson(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path);

/*
 * localities.gpkg in EPSG:27700, two layers: "localities" (the dissolved
 * polygons with the same fields as the GeoJSON) and "zones" (every study
 * zone with a boundary: zone_code, zone_name, locality_code (null when
 * the partition leaves it out), council_code).  Atomic as above; the
 * errors are those of loc_write_geojson.
 */
LOC_API loc_status loc_write_gpkg(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs, const char *path);

/* ---------------------------------------------------------------------
 * HTML report
 * --------------------------------------------------------------------- */

/* A key and its value, for the settings and data-sources lists. */
typedef struct loc_kv {
    const char *key;
    const char *value;
} loc_kv;

/* The decision limits of a funnel plot at funnel size x, in shown units
 * (NaN when there are none). */
typedef void (*loc_funnel_limits_fn)(const void *ud, double x, double *lo, double *hi);

/*
 * One tested indicator's decision, drawn twice.  Against Scotland, a
 * funnel plot: each locality's value against its funnel size, with the
 * limits that decide the flags (so a point outside them is a flagged
 * cell, and a flagged cell is outside them).  Against the rest of its
 * council, where every locality has its own comparator, a difference
 * chart: each locality's difference from the rest of its council with its
 * own decision limit as a band around zero.  Points are coloured by the
 * flags given, never by recomputing them.
 */
typedef struct loc_funnel {
    const char *name;            /* indicator name: the figure's data-indicator attribute; NULL for none */
    const char *label;           /* indicator label (escaped on output) */
    const char *unit;            /* after displayed values ("%"); NULL for none */
    const char *size_label;      /* x axis title: "denominator", "effective number of zones" */
    const char *note;            /* how the limits were made, under the title; NULL for none */
    int worse;                   /* 1: higher is worse, -1: lower is worse */
    double national;             /* the Scotland value the funnel centres on (shown units) */
    const double *value;         /* per locality: its value (shown units); NaN is not plotted */
    const double *size;          /* per locality: the funnel's x; <= 0 or NaN is not plotted */
    const int *flag_scotland;    /* per locality: loc_flag against Scotland; unreliable is not plotted */
    loc_funnel_limits_fn limits; /* the decision limits against Scotland at x */
    const void *limits_ud;       /* passed to limits */
    const double *diff;          /* per locality: value minus the rest of its council (shown units) */
    const double *limit;         /* per locality: the decision limit of |diff| */
    const int *flag_rest;        /* per locality: loc_flag against the rest of the council */
} loc_funnel;

/* One indicator of the locality profiles' spine charts. */
typedef struct loc_report_indicator {
    const char *name;  /* attrs columns NAME (the locality's value), NAME_council_rest, NAME_scotland (REAL) and
                        * NAME_flag_council_rest, NAME_flag_scotland (TEXT flags: poorer, better, same, unreliable) */
    const char *label; /* what it measures (escaped on output); the name when NULL */
    const char *unit;  /* after displayed values ("%"); NULL for none */
    int worse;         /* 1: higher is worse, -1: lower is worse */
    int tested;        /* 0: reported only, never flagged */
} loc_report_indicator;

/* A table of its own in the report (feasibility, for one), every cell
 * text (escaped on output): ncols headings, then nrows x ncols cells row
 * by row. */
typedef struct loc_report_table {
    const char *id;              /* the section's anchor */
    const char *title;           /* its heading */
    const char *intro;           /* a paragraph before the table; NULL: none */
    size_t ncols, nrows;
    const char *const *head;     /* ncols headings */
    const char *const *cells;    /* nrows * ncols cells */
} loc_report_table;

typedef struct loc_report_opts {
    const char *title;               /* page title; NULL: "Localities" */
    const char *flag_column;         /* INT attrs column (non-zero: flagged) colouring the first maps; NULL: none */
    const char *flag_label;          /* legend text for it; NULL: "locality plan required" */
    const char *value_column;        /* REAL attrs column colouring the second maps; NULL: none */
    const char *value_label;         /* legend title for it; NULL: the column name */
    double value_scale;              /* display multiplier for it; 0 means 1 */
    const loc_funnel *funnels;       /* funnel plots, in order */
    size_t nfunnels;
    const loc_kv *settings;          /* the run's settings */
    size_t nsettings;
    const loc_kv *sources;           /* data sources */
    size_t nsources;
    const loc_report_indicator *indicators; /* the profiles' indicators, in order; none: no profiles */
    size_t nindicators;
    const char *reason_column;       /* TEXT attrs column: why a locality is flagged; NULL: none */
    const char *date;                /* the run's date for the title block; NULL: none */
    const char *const *attribution;  /* copyright and licence lines, on every map and at the foot */
    size_t nattribution;
    const loc_report_indicator *map_extra; /* more REAL attrs columns the maps' selector offers (no profile,
                                            * no funnel): the ensemble's shares, for one */
    size_t nmap_extra;
    const loc_report_table *tables;  /* sections of their own, after the profiles */
    size_t ntables;
} loc_report_opts;

/*
 * report.html: one self-contained file (styles inline, no network
 * references): a title block with the date, sources and attribution; per
 * council, a map of its localities coloured by flag_column (flagged ones
 * labelled) and one coloured by value_column on a sequential scale with a
 * legend, each with a scale bar and the attribution lines; per funnel, the
 * funnel plot against Scotland and the difference chart against the rest
 * of the council; a table of the localities for people (most severe
 * first, with the reason); a profile per locality (its place on its
 * council's map, its facts and reason, and a spine chart of every
 * indicator against the rest of its council and Scotland); a table of every locality with its
 * fields and attributes; a table of flagged localities; the settings and
 * sources.  Every string is HTML-escaped.  attrs may be NULL only when no
 * column is named.  Atomic as above.  LOC_EINVAL for a missing column or
 * one of the wrong type, LOC_EIO naming path, LOC_EGEOM, LOC_ENOMEM.
 */
LOC_API loc_status loc_write_report(loc_ctx *ctx, const loc_dissolved *d, const loc_attrs *attrs,
                                    const loc_report_opts *opts, const char *path);

/* ---------------------------------------------------------------------
 * Progress report (batch over releases)
 * --------------------------------------------------------------------- */

/*
 * progress.html from a progress table (progress.csv as loc_progress_write
 * writes it: kind, locality_code, locality_name, indicator, measure,
 * baseline, plan_year, target_1y/_3y/_10y, per release <r>_value, <r>_gap_council,
 * <r>_gap_scotland with their _low and _high, then status and note) and the
 * releases' names and years: per locality, a small chart per target and
 * trend (the measure in each release with its interval, the line to the
 * targets), its status in words, and the numbers in a table beside it;
 * localities with targets first.  comparison (comparison.csv, may be NULL)
 * adds each locality's plan flag in every release.  Self-contained, atomic like the other
 * writers.  LOC_EINVAL when the table lacks a column, LOC_EIO naming path,
 * LOC_ENOMEM.
 */
LOC_API loc_status loc_write_progress_report(loc_ctx *ctx, const loc_csv *progress, const loc_csv *comparison,
                                             const char *const *releases, const int *years, size_t nrel,
                                             const char *path);

/* ---------------------------------------------------------------------
 * All outputs of a run
 * --------------------------------------------------------------------- */

/*
 * localities.geojson, localities.gpkg and report.html in the folder dir
 * (which must exist), as the writers above write them, but as one output
 * set (outset.h): written into a staging folder and swapped into place
 * only when every one succeeded, so that a failure, or a kill at any
 * moment, leaves the folder's earlier outputs exactly as they were, and
 * other files in dir are kept.  opts as for loc_write_report (may be
 * NULL).  Errors as for the writers, naming the files in dir.
 */
LOC_API loc_status loc_write_outputs(loc_ctx *ctx, const char *dir, const loc_dissolved *d, const loc_attrs *attrs,
                                     const loc_report_opts *opts);

#endif
