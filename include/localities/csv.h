/*
 * Table reader: CSV files as published, read with libcsv into memory.
 *
 * Public data arrives in every dialect: a UTF-8 byte-order mark, CRLF, LF or
 * bare-CR line ends, quoted fields with embedded commas and newlines,
 * publisher footnote lines at the end, trailing empty columns.  This module
 * takes all of those and hands callers a rectangular table of strings with
 * the physical line on which each row starts, so that every later error can
 * name file and line.  It refuses what it cannot read honestly: NUL bytes,
 * invalid UTF-8, unterminated quotes, ragged rows, duplicate column names, a
 * header with no data.  Values are parsed separately (loc_parse_number)
 * because only the caller knows which columns are numbers.
 *
 * Memory is bounded: a record longer than LOC_CSV_MAX_RECORD bytes, more
 * than LOC_CSV_MAX_COLS columns or more than LOC_CSV_MAX_CELLS cells are
 * refused with LOC_ELIMIT before they are stored.
 */
#ifndef LOCALITIES_CSV_H
#define LOCALITIES_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "localities/ctx.h"

#define LOC_CSV_MAX_RECORD ((size_t)4 << 20)   /* bytes in one record */
#define LOC_CSV_MAX_COLS 10000                 /* columns in a file */
#define LOC_CSV_MAX_CELLS ((size_t)50 << 20)   /* rows x columns */

typedef struct loc_csv loc_csv;

/*
 * Read a CSV file.  Returns a table the caller frees with loc_csv_destroy,
 * or NULL with the context's error set: LOC_EIO when the file cannot be
 * read, LOC_EPARSE for malformed CSV, LOC_ELIMIT for oversized input,
 * LOC_ENOMEM.  Messages name the file and line.
 */
LOC_API loc_csv *loc_csv_read(loc_ctx *ctx, const char *path);

/* As loc_csv_read, from a buffer; name is used in messages.  The buffer is
 * not kept. */
LOC_API loc_csv *loc_csv_parse(loc_ctx *ctx, const char *name, const void *buf, size_t len);

/* Free a table.  NULL does nothing. */
LOC_API void loc_csv_destroy(loc_csv *csv);

/* The name given at read time (the path); owned by the table. */
LOC_API const char *loc_csv_name(const loc_csv *csv);

LOC_API size_t loc_csv_ncols(const loc_csv *csv);
LOC_API size_t loc_csv_nrows(const loc_csv *csv);

/* Header of column col (whitespace trimmed; may be "" for unnamed
 * trailing columns).  Owned by the table. */
LOC_API const char *loc_csv_header(const loc_csv *csv, size_t col);

/* Field at row, col (0-based, header excluded); never NULL; owned by the
 * table and valid until loc_csv_destroy. */
LOC_API const char *loc_csv_field(const loc_csv *csv, size_t row, size_t col);

/* Physical line (1-based) on which data row `row` starts. */
LOC_API size_t loc_csv_line(const loc_csv *csv, size_t row);

/* Lines skipped as footnotes (first field starting with '#') or as rows
 * with every field empty. */
LOC_API size_t loc_csv_skipped(const loc_csv *csv);

/*
 * Index of the column whose header equals name, ignoring case and
 * surrounding white space; name may list alternatives separated by '|',
 * the first present wins (a header that itself holds '|' matches its
 * whole name first).  Returns -1 when none is present.
 */
LOC_API long loc_csv_column(const loc_csv *csv, const char *name);

/* Result of parsing one cell as a number. */
typedef enum loc_num {
    LOC_NUM_OK = 0,   /* *out holds the value */
    LOC_NUM_MISSING,  /* empty or a suppression mark: "*", "NA", "..", "-", "n/a", "x", "c" */
    LOC_NUM_BAD,      /* not a number */
    LOC_NUM_ERRVAL    /* a spreadsheet error value ("#VALUE!", "#DIV/0!", ...): missing, but worth reporting */
} loc_num;

/*
 * Parse a published number: surrounding white space, a leading sign,
 * thousands separators ("4,726"), a trailing percent sign ("8%" gives 8:
 * the number as written, so that columns mixing "8%" and "8" agree).
 * NaN, infinities and hexadecimal are LOC_NUM_BAD.
 */
LOC_API loc_num loc_parse_number(const char *s, double *out);

/* Write s as one CSV field (RFC 4180): quoted when it holds a comma, a
 * quote or a line break, quotes doubled; the one field writer every table
 * of the tool uses.  EOF on a write error. */
LOC_API int loc_csv_put_field(FILE *f, const char *s);

#endif
