/*
 * Contiguity graph: which zones are neighbours, and how much boundary each
 * pair shares.
 *
 * Localities must be contiguous, and compactness is measured by the
 * boundary between localities, so the builder needs every zone's
 * neighbours and the length of each shared boundary.  Zones are rook
 * neighbours when they share a boundary of positive length; an option
 * adds queen neighbours, which touch at a point only.  The graph is stored
 * as compressed sparse rows: zone i's neighbours are
 * adjacency[offsets[i] .. offsets[i+1]), sorted by zone index, each pair
 * present in both rows with the same length and kind.
 *
 * Boundaries published as a clean coverage share identical vertices, and
 * the graph is exact on them.  Boundaries simplified polygon by polygon do
 * not: neighbours are separated by slivers and gaps, and the snapping
 * tolerance decides how far apart two boundaries may run and still count
 * as shared.  Island zones and other parts of a council cut off from the
 * rest are joined to their nearest zone of the same council by *island
 * links*, so that every council's graph is connected; links never cross
 * councils.
 */
#ifndef LOCALITIES_GRAPH_H
#define LOCALITIES_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "localities/ctx.h"

typedef struct GEOSGeom_t GEOSGeometry;

/* Default snapping tolerance in metres: exact on a clean coverage, and
 * bridges coordinate noise and vertices of one zone lying on a neighbour's
 * segment.  Boundaries simplified polygon by polygon need about their
 * simplification tolerance.  engine/graph.c gives the evidence. */
#define LOC_GRAPH_SNAP_M 0.1
/* The widest gap snap_auto bridges, in metres. */
#define LOC_GRAPH_SNAP_MAX_M 50.0

/* What joins two zones. */
typedef enum loc_edge_kind {
    LOC_EDGE_ROOK = 0,   /* a shared boundary of positive length */
    LOC_EDGE_QUEEN = 1,  /* touching at a point only (queen option) */
    LOC_EDGE_ISLAND = 2  /* an island link: no shared boundary, added to connect a council */
} loc_edge_kind;

typedef struct loc_graph_opts {
    int queen;                 /* 1: zones touching at a point are neighbours too */
    double snap_m;             /* boundaries running this close count as shared; 0: identical segments only */
    int snap_auto;             /* 1: boundaries that are not a clean coverage get a wider tolerance chosen
                                  from the data (reported; see loc_graph_stats.snap_m) */
    int link_islands;          /* 1: connect each council's separate parts with island links */
    double max_link_m;         /* island links longer than this are not made and are reported; 0: no limit */
    const char *const *codes;  /* zone codes, used only in messages; NULL names zones by index */
} loc_graph_opts;

/* Fill opts with the defaults: rook, LOC_GRAPH_SNAP_M, islands linked,
 * no link limit, no codes.  Passing NULL opts to loc_graph_build means the
 * same. */
LOC_API void loc_graph_opts_init(loc_graph_opts *opts);

/* Counts describing a built graph. */
typedef struct loc_graph_stats {
    size_t zones;           /* zones in the graph */
    size_t edges;           /* undirected edges of every kind */
    size_t rook;            /* rook edges */
    size_t snapped;         /* of those, found only within the snapping tolerance */
    size_t queen;           /* queen edges (0 unless the queen option is on) */
    size_t island_links;    /* island links added */
    size_t isolated;        /* zones with no rook or queen neighbour */
    size_t max_degree;      /* largest number of neighbours of one zone, links included */
    double mean_degree;     /* 2 * edges / zones */
    double boundary_m;      /* length of every zone's boundary, summed */
    double exact_m;         /* of which shared with another zone vertex for vertex */
    double snap_m;          /* the snapping tolerance used */
    int snap_chosen;        /* 1 when snap_auto chose it from the data */
    size_t councils;        /* councils with at least one zone */
    size_t split_councils;  /* councils in more than one part before linking */
    size_t unlinked;        /* councils still in more than one part after linking */
} loc_graph_stats;

/* One island link: zones a < b and the boundary-to-boundary distance. */
typedef struct loc_graph_link {
    uint32_t a, b;
    double dist_m;
} loc_graph_link;

typedef struct loc_graph loc_graph;

/*
 * Build the graph of n zones.  geoms[i] is zone i's Polygon or MultiPolygon
 * in a projected CRS in metres, read with ctx's GEOS context (as
 * loc_boundaries_geoms gives them); the geometries are only read.  council
 * gives each zone's council as any id >= 0 (loc_zones_councils gives
 * them), or a negative value for a zone in no council (it keeps its
 * neighbours but is never linked nor counted in components); NULL puts
 * every zone in council 0.  opts may be NULL for the defaults.
 *
 * Returns a graph the caller frees with loc_graph_destroy, or NULL with the
 * context's error set: LOC_EINVAL for a bad option, or a missing, empty or
 * non-polygonal geometry or one with coordinates beyond 1e12; LOC_ELIMIT when
 * the zones or vertices do not fit 32-bit indices; LOC_EGEOM when GEOS
 * fails; LOC_ENOMEM.  Island links are reported through the context's
 * report callback (LOC_INFO), links refused by max_link_m as warnings.
 */
LOC_API loc_graph *loc_graph_build(loc_ctx *ctx, size_t n, const GEOSGeometry *const *geoms,
                                   const int32_t *council, const loc_graph_opts *opts);

/* Free the graph.  NULL does nothing. */
LOC_API void loc_graph_destroy(loc_graph *g);

/* Zones. */
LOC_API size_t loc_graph_count(const loc_graph *g);

/* Whole CSR arrays, borrowed from the graph and valid until
 * loc_graph_destroy: offsets has count + 1 entries; adjacency, lengths and
 * kinds have offsets[count] entries (every undirected edge twice). */
LOC_API const size_t *loc_graph_offsets(const loc_graph *g);
LOC_API const uint32_t *loc_graph_adjacency(const loc_graph *g);
LOC_API const double *loc_graph_lengths(const loc_graph *g);     /* shared boundary, metres (0 for queen and island) */
LOC_API const uint8_t *loc_graph_kinds(const loc_graph *g);      /* loc_edge_kind values */

/* One zone's row: its degree, then borrowed pointers to degree entries. */
LOC_API size_t loc_graph_degree(const loc_graph *g, size_t i);
LOC_API const uint32_t *loc_graph_neighbours(const loc_graph *g, size_t i);
LOC_API const double *loc_graph_row_lengths(const loc_graph *g, size_t i);
LOC_API const uint8_t *loc_graph_row_kinds(const loc_graph *g, size_t i);

/* Shared boundary length between zones a and b, or -1 when they are not
 * neighbours; *kind (if not NULL) receives the edge kind. */
LOC_API double loc_graph_shared_len(const loc_graph *g, size_t a, size_t b, loc_edge_kind *kind);

/* Perimeter of each zone in metres (every ring, islands and holes
 * included); borrowed array of count entries. */
LOC_API const double *loc_graph_perimeters(const loc_graph *g);
/* Area of each zone in square metres; borrowed array of count entries. */
LOC_API const double *loc_graph_areas(const loc_graph *g);

LOC_API const loc_graph_stats *loc_graph_stats_get(const loc_graph *g);

/* Councils with at least one zone (1 when built without councils, 0 for
 * no zones), and the id of the k-th in ascending order of id. */
LOC_API size_t loc_graph_ncouncils(const loc_graph *g);
LOC_API int32_t loc_graph_council_id(const loc_graph *g, size_t k);
/* Connected parts of a council, by its id, before island linking; 0 for a
 * council with no zones. */
LOC_API size_t loc_graph_components(const loc_graph *g, int32_t council);

/* Island links in the order they were made; borrowed array of nlinks. */
LOC_API size_t loc_graph_nlinks(const loc_graph *g);
LOC_API const loc_graph_link *loc_graph_links(const loc_graph *g);

/* Name of a kind: "rook", "queen" or "island". */
LOC_API const char *loc_edge_kind_name(loc_edge_kind kind);

/*
 * Writers.  codes[i] is zone i's code.  Each file is written to a temporary
 * name in the same folder and renamed over path at the end, so a failed
 * write leaves no partial file and an existing file at path untouched.
 * Return LOC_OK, LOC_EIO (message names the file) or LOC_EINVAL (a code the
 * format cannot hold).
 *
 * CSV: header "zone_a,zone_b,shared_len_m,kind", one line per undirected
 * edge (zone_a before zone_b in zone order), lengths with two decimals,
 * kind "rook", "queen" or "island".
 *
 * GAL and GWT, as PySAL and GeoDa read them: a header "0 n layer id_field"
 * (layer and id_field may be NULL: "unknown" and "id"; white space in them
 * becomes '_'), then for GAL each zone's code and degree on one line and
 * its neighbours' codes on the next; for GWT one "code neighbour weight"
 * line per directed edge with the shared length as the weight (0 for queen
 * and island edges).  Codes must not contain white space.
 */
LOC_API loc_status loc_graph_write_csv(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path);
LOC_API loc_status loc_graph_write_gal(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path,
                                       const char *layer, const char *id_field);
LOC_API loc_status loc_graph_write_gwt(loc_ctx *ctx, const loc_graph *g, const char *const *codes, const char *path,
                                       const char *layer, const char *id_field);

#endif
