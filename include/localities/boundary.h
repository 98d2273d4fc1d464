/*
 * Boundary reader: zone polygons from any GDAL vector source, in British
 * National Grid.
 *
 * Every later stage measures in metres, so geometries are taken into
 * EPSG:27700 with PROJ when the source is in another CRS; a source with no
 * CRS is refused unless the caller states one.  Each kept geometry is valid
 * and polygonal: invalid ones are repaired with GEOS MakeValid and reported;
 * null, empty, zero-area and non-polygonal ones are reported and excluded,
 * and their codes kept so that the join can say why a zone has no polygon.
 * Duplicate zone codes are an error.
 */
#ifndef LOCALITIES_BOUNDARY_H
#define LOCALITIES_BOUNDARY_H

#include <stddef.h>

#include "localities/ctx.h"

typedef struct GEOSGeom_t GEOSGeometry;

#define LOC_MAX_ZONES 1000000              /* features refused beyond this */
#define LOC_MAX_FEATURE_VERTICES 10000000  /* vertices in one feature */
#define LOC_MAX_TOTAL_VERTICES 100000000   /* vertices in the whole layer (about 2.4 GB in GEOS) */

typedef struct loc_boundary_opts {
    const char *layer;      /* layer name; NULL for the first layer */
    const char *zone_field; /* zone code field; NULL to detect a common name */
    const char *name_field; /* zone name field; NULL to detect, optional */
    const char *assume_crs; /* CRS for a source that has none ("EPSG:27700"); NULL refuses such a source */
} loc_boundary_opts;

typedef struct loc_boundaries loc_boundaries;

/*
 * Read every feature of one layer.  opts may be NULL.  Returns a handle the
 * caller frees with loc_boundaries_destroy, or NULL with the context's error
 * set (LOC_EIO unreadable source, LOC_EDATA missing field or duplicate code,
 * LOC_ECRS no or unusable CRS, LOC_EGEOM a geometry GEOS cannot read,
 * LOC_ELIMIT oversized input).  Repairs and exclusions go to the context's
 * report callback as warnings.
 */
LOC_API loc_boundaries *loc_boundaries_read(loc_ctx *ctx, const char *path, const loc_boundary_opts *opts);

/* Free the handle and its geometries.  NULL does nothing. */
LOC_API void loc_boundaries_destroy(loc_boundaries *b);

/* Kept zones, in source order. */
LOC_API size_t loc_boundaries_count(const loc_boundaries *b);
/* Zone code and name ("" when the source has no name field) of zone i;
 * owned by the handle. */
LOC_API const char *loc_boundaries_code(const loc_boundaries *b, size_t i);
LOC_API const char *loc_boundaries_name(const loc_boundaries *b, size_t i);
/* Geometry of zone i in EPSG:27700: valid, polygonal, non-empty.  Borrowed
 * from the handle; use it with the GEOS context of the ctx that read it. */
LOC_API const GEOSGeometry *loc_boundaries_geom(const loc_boundaries *b, size_t i);
/* All geometries as an array of count pointers (borrowed). */
LOC_API const GEOSGeometry *const *loc_boundaries_geoms(const loc_boundaries *b);

/* Zones whose geometry was repaired, and excluded zones with their codes
 * and the reason (owned by the handle). */
LOC_API size_t loc_boundaries_repaired(const loc_boundaries *b);
LOC_API size_t loc_boundaries_excluded(const loc_boundaries *b);
LOC_API const char *loc_boundaries_excluded_code(const loc_boundaries *b, size_t i);
LOC_API const char *loc_boundaries_excluded_reason(const loc_boundaries *b, size_t i);

/* Source facts for `info`: path, layer, zone field, source CRS as
 * "AUTHORITY:CODE (name)" or its name, whether it was reprojected, total
 * vertices, and the bounding box of the kept zones in EPSG:27700 as
 * minx, miny, maxx, maxy. */
LOC_API const char *loc_boundaries_path(const loc_boundaries *b);
LOC_API const char *loc_boundaries_layer(const loc_boundaries *b);
LOC_API const char *loc_boundaries_zone_field(const loc_boundaries *b);
LOC_API const char *loc_boundaries_crs(const loc_boundaries *b);
LOC_API int loc_boundaries_reprojected(const loc_boundaries *b);
LOC_API size_t loc_boundaries_vertices(const loc_boundaries *b);
LOC_API void loc_boundaries_bbox(const loc_boundaries *b, double bbox[4]);

/* Value of another attribute field for zone i ("" when null), or NULL when
 * the source has no such field.  Field names match ignoring case. */
LOC_API const char *loc_boundaries_attr(const loc_boundaries *b, size_t i, const char *field);

#endif
