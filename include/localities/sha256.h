/*
 * SHA-256 (FIPS 180-4) of a file, for the record a run keeps of its inputs
 * (run.json): which bytes produced these outputs.  Streamed in 64 KiB
 * blocks, so any size of file costs the same memory.
 */
#ifndef LOCALITIES_SHA256_H
#define LOCALITIES_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "localities/ctx.h"

/* The digest of len bytes at data as 64 lower-case hex digits and a NUL
 * in hex[65]. */
LOC_API void loc_sha256_hex(const void *data, size_t len, char hex[65]);

/* The digest of the file at path into hex[65], its size into *bytes (may be
 * NULL).  LOC_EIO with the context's error naming the file when it cannot
 * be read. */
LOC_API loc_status loc_sha256_file(loc_ctx *ctx, const char *path, char hex[65], uint64_t *bytes);

#endif
