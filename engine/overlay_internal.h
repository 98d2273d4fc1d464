/*
 * What overlay.c takes from overlay_area.c (private to the engine): a
 * polygon's rings as plain coordinates, and the area of two polygons'
 * intersection by Green's theorem, or -1 when it cannot be trusted.
 */
#ifndef LOCALITIES_OVERLAY_INTERNAL_H
#define LOCALITIES_OVERLAY_INTERNAL_H

#include "internal.h"

#include <stddef.h>

/* A polygon's rings, oriented with the polygon on the left. */
typedef struct rings {
    double *xy;        /* x, y of every ring vertex, each ring closed (last = first) */
    size_t *start;     /* nrings + 1 offsets into xy, in points */
    size_t nrings;
    double box[4];     /* minx, miny, maxx, maxy */
    int ok;            /* 1 when read; 0 not yet; -1 unreadable (always GEOS) */
} rings;

/* Scratch for ov_green_area: one segment of the other polygon. */
typedef struct qseg qseg;

/* Free r's arrays and zero it. */
void ov_rings_free(rings *r);
/* g's rings into r (r->ok 1, or -1 when they cannot be read). */
void ov_rings_read(GEOSContextHandle_t h, const GEOSGeometry *g, rings *r);
/* Area of A n B from their rings, or -1 when it cannot be trusted (the
 * pair then goes to GEOS); ts and qs are scratch kept by the caller. */
double ov_green_area(const rings *a, const rings *b, double area_a, double area_b, double **ts, size_t *cap_ts,
                     qseg **qs, size_t *cap_qs);

#endif
