/*
 * Locality codes that stay put.  A built locality's code follows from what
 * it is: its council's code, a dash and the first six hexadecimal digits
 * of the SHA-256 of its zone codes (in zone-code order, each followed by a
 * newline), so the same zones give the same code in every run and release
 * and a changed locality gets a new one.  Where two localities of one
 * council share six digits, every code of that council takes two more,
 * until none do, so a council's codes depend on its localities alone.
 *
 * An earlier run's codes can be kept where a locality is unchanged or
 * nearly so: a locality keeps the code of the earlier locality whose
 * residents overlap it most when their Jaccard index by residents,
 * pop(A and B) / pop(A or B), is at least a threshold above one half (the
 * CLI uses 0.9).  Above one half a locality overlaps at most one earlier
 * locality that much and the reverse, so the match is one to one.
 */
#ifndef LOCALITIES_CODES_H
#define LOCALITIES_CODES_H

#include <stddef.h>

#include "localities/partition.h"
#include "localities/zones.h"

/* Digits of the hash a code starts with. */
#define LOC_CODE_DIGITS 6

/*
 * The derived code of every locality of p into codes[0..count), each
 * allocated with the context's allocator (free each, and the array, with
 * loc_codes_free).  A locality in no single council takes "X" as its
 * council code.  LOC_ENOMEM.
 */
LOC_API loc_status loc_codes_derive(loc_ctx *ctx, const loc_partition *p, char ***codes);

/* Free an array of n codes from loc_codes_derive; NULL does nothing. */
LOC_API void loc_codes_free(loc_ctx *ctx, char **codes, size_t n);

/*
 * p with the codes of `earlier` (a grouping of the same zone table, such
 * as an earlier zones.csv read as a lookup, column locality_code) kept for
 * every locality whose residents' Jaccard index with one earlier locality
 * is at least min_overlap (in (0.5, 1]); the other localities keep their
 * codes.  Residents are the zone table's (NaN counts as 0; every zone
 * weighs at least 1e-9, so localities with no residents still match by
 * zones).  *kept (may be NULL) receives how many codes were kept.  A new
 * partition with p's labels and names, to free with
 * loc_partition_destroy; NULL with the error set (LOC_EINVAL for a
 * threshold out of range, LOC_ENOMEM).
 */
LOC_API loc_partition *loc_codes_keep(loc_ctx *ctx, const loc_partition *p, const loc_grouping *earlier,
                                      double min_overlap, size_t *kept);

#endif
