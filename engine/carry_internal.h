/*
 * What the two ways of carrying localities onto other zones share
 * (private to the engine): carry.c by zone lookup, overlay.c by area.
 */
#ifndef LOCALITIES_CARRY_INTERNAL_H
#define LOCALITIES_CARRY_INTERNAL_H

#include "localities/partition.h"
#include "internal.h"

/* Localities that received no zone dropped and the
 * rest renumbered in order (label[nrows] rewritten, codes and names
 * compacted; *first_dropped the first dropped code), LOC_ENOMEM; and the
 * placements tallied, zones and residents, from how[] (LOC_PLACED_*). */
loc_status loc_carry_drop_empty(loc_ctx *ctx, int32_t *label, size_t nrows, const char **codes, const char **names,
                                size_t nloc, size_t *kept, size_t *dropped, const char **first_dropped);
loc_carry_stats loc_carry_tally(const loc_zones *z, const uint8_t *how);

#endif
