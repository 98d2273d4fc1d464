/*
 * Table reader: CSV through libcsv, one physical line at a time.
 *
 * libcsv reports fields and record ends but not where they are in the file.
 * Feeding it one physical line per call (a line ends at LF, CRLF or a bare
 * CR) tells us the line on which each record starts, which every error
 * message needs, at the cost of one csv_parse call per line.  Before a line
 * reaches libcsv it is checked for NUL bytes and invalid UTF-8, so those are
 * reported with their line instead of surfacing as mangled codes later.
 *
 * Fields are stored back to back, NUL-terminated, in one growing text
 * buffer; each cell is an offset into it.  The first record is the header;
 * its names are trimmed, and a non-empty name may appear only once.
 */
#include "localities/csv.h"
#include "internal.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct loc_csv {
    loc_ctx *ctx;       /* allocator owner */
    char *name;         /* file name for messages */
    char *text;         /* all fields, NUL-terminated, back to back */
    size_t text_len;    /* bytes used in text */
    size_t text_cap;    /* bytes allocated for text */
    size_t *cells;      /* offsets into text, row-major; row 0 is the header */
    size_t ncells;      /* cells used */
    size_t cells_cap;   /* cells allocated */
    size_t *lines;      /* physical start line per record, header included */
    size_t lines_cap;   /* records allocated in lines */
    size_t ncols;       /* columns (from the header) */
    size_t nrecords;    /* records stored, header included */
    size_t skipped;     /* footnote and empty rows skipped */
};

/* Parser state shared with the libcsv callbacks. */
typedef struct reader {
    loc_csv *csv;          /* table being filled */
    loc_status st;         /* first failure; callbacks stop storing after it */
    size_t line;           /* physical line being fed */
    size_t rec_line;       /* line on which the current record started */
    size_t rec_fields;     /* fields seen in the current record */
    size_t rec_start;      /* index in cells of the current record's first cell */
    size_t rec_text;       /* text_len when the current record started */
    size_t rec_bytes;      /* bytes fed since the current record started */
    size_t line_bytes;     /* bytes of the current physical line fed so far */
    int in_record;         /* a field of the current record has been seen */
    int rec_open;          /* a byte other than a blank or a line end has been fed
                            * since the last record ended: a record is under way,
                            * even if no field of it is complete (an open quote) */
} reader;

/* ---------------------------------------------------------------------
 * Storage
 * --------------------------------------------------------------------- */

static loc_status push_field(reader *r, const char *s, size_t len)
{
    loc_csv *csv = r->csv;
    loc_ctx *ctx = csv->ctx;
    if (csv->ncells >= LOC_CSV_MAX_CELLS)
        return loc_error(ctx, LOC_ELIMIT, "'%s' line %zu: more than %zu cells; the file is too large",
                         csv->name, r->rec_line, (size_t)LOC_CSV_MAX_CELLS);
    if (r->rec_fields >= LOC_CSV_MAX_COLS)
        return loc_error(ctx, LOC_ELIMIT, "'%s' line %zu: more than %d fields in one row",
                         csv->name, r->rec_line, LOC_CSV_MAX_COLS);
    if (loc_grow(ctx, (void **)&csv->cells, &csv->cells_cap, csv->ncells + 1, sizeof *csv->cells) ||
        loc_grow(ctx, (void **)&csv->text, &csv->text_cap, csv->text_len + len + 1, 1))
        return LOC_ENOMEM;
    csv->cells[csv->ncells++] = csv->text_len;
    if (len)
        memcpy(csv->text + csv->text_len, s, len);
    csv->text[csv->text_len + len] = '\0';
    csv->text_len += len + 1;
    return LOC_OK;
}

static const char *cell(const loc_csv *csv, size_t i) { return csv->text + csv->cells[i]; }

/* Drop the record being built (footnote or empty row). */
static void drop_record(reader *r)
{
    r->csv->ncells = r->rec_start;
    r->csv->text_len = r->rec_text;
}

static int blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* Header names: trim white space in place; refuse duplicate names. */
static loc_status finish_header(reader *r)
{
    loc_csv *csv = r->csv;
    csv->ncols = r->rec_fields;
    for (size_t i = 0; i < csv->ncols; i++) {
        char *h = csv->text + csv->cells[i];
        char *e = h + strlen(h);
        while (e > h && isspace((unsigned char)e[-1]))
            *--e = '\0';
        size_t lead = strspn(h, " \t");
        if (lead)
            memmove(h, h + lead, strlen(h + lead) + 1);
        if (!*h)
            continue;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(cell(csv, j), h) == 0)
                return loc_error(csv->ctx, LOC_EPARSE,
                                 "'%s' line %zu: duplicate column name '%s' (columns %zu and %zu)",
                                 csv->name, r->rec_line, h, j + 1, i + 1);
    }
    return LOC_OK;
}

/* A data record: skip footnotes and empty rows; tolerate extra trailing
 * empty fields (spreadsheets add them), refuse any other raggedness. */
static loc_status finish_row(reader *r)
{
    loc_csv *csv = r->csv;
    size_t n = r->rec_fields;
    const char *first = cell(csv, r->rec_start);
    int all_blank = 1;
    for (size_t i = 0; i < n && all_blank; i++)
        all_blank = blank(cell(csv, r->rec_start + i));
    if (all_blank || first[strspn(first, " \t")] == '#') {
        drop_record(r);
        csv->skipped++;
        return LOC_OK;
    }
    if (n > csv->ncols) {
        for (size_t i = csv->ncols; i < n; i++)
            if (!blank(cell(csv, r->rec_start + i)))
                return loc_error(csv->ctx, LOC_EPARSE,
                                 "'%s' line %zu: %zu fields but the header has %zu",
                                 csv->name, r->rec_line, n, csv->ncols);
        csv->ncells = r->rec_start + csv->ncols;
    } else if (n < csv->ncols) {
        return loc_error(csv->ctx, LOC_EPARSE, "'%s' line %zu: %zu fields but the header has %zu",
                         csv->name, r->rec_line, n, csv->ncols);
    }
    return LOC_OK;
}

static void on_field(void *s, size_t len, void *ud)
{
    reader *r = ud;
    if (r->st)
        return;
    if (!r->in_record) {
        r->in_record = 1;
        r->rec_start = r->csv->ncells;
        r->rec_text = r->csv->text_len;
        r->rec_fields = 0;
    }
    r->st = push_field(r, s ? s : "", s ? len : 0);
    r->rec_fields++;
}

static void on_record(int c, void *ud)
{
    reader *r = ud;
    (void)c;
    r->rec_open = 0;
    if (r->st || !r->in_record)
        return;
    loc_csv *csv = r->csv;
    r->st = csv->nrecords == 0 ? finish_header(r) : finish_row(r);
    if (!r->st && csv->ncells > r->rec_start) {
        if (loc_grow(csv->ctx, (void **)&csv->lines, &csv->lines_cap, csv->nrecords + 1,
                     sizeof *csv->lines))
            r->st = LOC_ENOMEM;
        else
            csv->lines[csv->nrecords++] = r->rec_line;
    }
    r->in_record = 0;
    r->rec_bytes = 0;
}

/* ---------------------------------------------------------------------
 * Input checks
 * --------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len)
        return 0;
    unsigned cp = c & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Bytes at the end of buf[0..n) that begin a multi-byte sequence the
 * buffer does not complete; a file chunk holds them back for the next. */
static size_t utf8_incomplete_tail(const unsigned char *buf, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        unsigned c = buf[n - k];
        if ((c & 0xC0) == 0x80)
            continue;
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return len > k ? k : 0;
    }
    return 0;
}

/* Check one piece of the current physical line; positions in messages
 * count from the start of the line, which may have come in earlier pieces. */
static loc_status check_line(reader *r, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == 0)
            return loc_error(r->csv->ctx, LOC_EPARSE, "'%s' line %zu: NUL byte at column %zu; not a text file",
                             r->csv->name, r->line, r->line_bytes + i + 1);
        size_t k = utf8_len(s + i, n - i);
        if (!k)
            return loc_error(r->csv->ctx, LOC_EPARSE,
                             "'%s' line %zu: invalid UTF-8 at byte %zu (save the file as UTF-8)",
                             r->csv->name, r->line, r->line_bytes + i + 1);
        i += k;
    }
    return LOC_OK;
}

/* Feed one piece of the current physical line (terminator included when
 * ends_line) to libcsv. */
static loc_status feed(reader *r, struct csv_parser *p, const char *s, size_t n, int ends_line)
{
    if (!r->rec_open) {
        /* libcsv skips blank lines and leading blanks, so a record starts
         * at the first piece holding anything else. */
        r->rec_line = r->line;
        r->rec_bytes = 0;
        for (size_t i = 0; i < n && !r->rec_open; i++)
            r->rec_open = !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n');
    }
    r->rec_bytes += n;
    if (r->rec_bytes > LOC_CSV_MAX_RECORD)
        return loc_error(r->csv->ctx, LOC_ELIMIT, "'%s' line %zu: a row longer than %zu bytes; refusing to read it",
                         r->csv->name, r->rec_line, (size_t)LOC_CSV_MAX_RECORD);
    loc_status st = check_line(r, (const unsigned char *)s, n);
    if (st)
        return st;
    /* libcsv grows its field buffer by blk_size bytes at a time; the
     * default 128 makes a long field quadratic wherever realloc copies
     * (sanitizers, valgrind, many allocators).  A field is no longer than
     * its record so far, so one step of that size always suffices. */
    csv_set_blk_size(p, r->rec_bytes > 128 ? r->rec_bytes : 128);
    if (csv_parse(p, s, n, on_field, on_record, r) != n && !r->st) {
        int e = csv_error(p);
        if (e == CSV_ENOMEM || e == CSV_ETOOBIG)
            return loc_error(r->csv->ctx, LOC_ENOMEM, "'%s' line %zu: out of memory", r->csv->name, r->line);
        return loc_error(r->csv->ctx, LOC_EPARSE, "'%s' line %zu: malformed quoting (a quote inside an unquoted field, or text after a closing quote)",
                         r->csv->name, r->line);
    }
    if (r->st)
        return r->st;
    r->line_bytes += n;
    if (ends_line) {
        r->line++;
        r->line_bytes = 0;
    }
    return LOC_OK;
}

/* Split buf into physical lines and feed them.  *pending_cr says the
 * previous chunk ended in CR, so a leading LF belongs to that line end. */
static loc_status feed_chunk(reader *r, struct csv_parser *p, const char *buf, size_t len, int *pending_cr)
{
    size_t i = 0;
    if (*pending_cr && len && buf[0] == '\n') {
        loc_status st = feed(r, p, buf, 1, 0);
        if (st)
            return st;
        r->line_bytes = 0; /* the LF ended the previous line */
        i = 1;
    }
    *pending_cr = 0;
    size_t start = i;
    while (i < len) {
        char c = buf[i];
        if (c == '\n' || c == '\r') {
            size_t end = i + 1;
            if (c == '\r' && end < len && buf[end] == '\n')
                end++;
            else if (c == '\r' && end == len)
                *pending_cr = 1;
            loc_status st = feed(r, p, buf + start, end - start, 1);
            if (st)
                return st;
            i = start = end;
        } else {
            i++;
        }
    }
    return start < len ? feed(r, p, buf + start, len - start, 0) : LOC_OK;
}

/* ---------------------------------------------------------------------
 * Reading
 * --------------------------------------------------------------------- */

static loc_csv *csv_new(loc_ctx *ctx, const char *name)
{
    loc_csv *csv = loc_calloc(ctx, 1, sizeof *csv);
    if (!csv)
        return NULL;
    csv->ctx = ctx;
    csv->name = loc_strdup(ctx, name);
    if (!csv->name) {
        loc_free(ctx, csv);
        return NULL;
    }
    return csv;
}

static loc_status finish(reader *r, struct csv_parser *p)
{
    loc_csv *csv = r->csv;
    if (csv_fini(p, on_field, on_record, r) != 0 && !r->st)
        return loc_error(csv->ctx, LOC_EPARSE, "'%s' line %zu: unterminated quoted field (started on line %zu)",
                         csv->name, r->line, r->rec_line);
    if (r->st)
        return r->st;
    if (csv->nrecords == 0)
        return loc_error(csv->ctx, LOC_EPARSE, "'%s': empty file, no header row", csv->name);
    if (csv->nrecords == 1)
        return loc_error(csv->ctx, LOC_EPARSE, "'%s': header only, no data rows", csv->name);
    return LOC_OK;
}

#define CSV_CHUNK 65536 /* bytes read from a file at a time */

static loc_csv *read_source(loc_ctx *ctx, const char *name, FILE *f, const char *buf, size_t len)
{
    loc_csv *csv = csv_new(ctx, name);
    if (!csv)
        return NULL;
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        loc_csv_destroy(csv);
        loc_error(ctx, LOC_ENOMEM, "out of memory");
        return NULL;
    }
    reader r = {.csv = csv, .line = 1, .rec_line = 1};
    int pending_cr = 0, first = 1;
    loc_status st = LOC_OK;
    /* A file is read in chunks; a UTF-8 sequence cut by the end of a chunk
     * is held back (carry bytes) and completed by the next. */
    char chunk[CSV_CHUNK + 4];
    size_t carry = 0;
    for (;;) {
        const char *s;
        size_t n;
        if (f) {
            size_t got = fread(chunk + carry, 1, CSV_CHUNK, f);
            if (got == 0 && ferror(f)) {
                st = loc_error(ctx, LOC_EIO, "'%s': read error: %s", name, strerror(errno));
                break;
            }
            if (got == 0 && carry == 0)
                break;
            n = carry + got;
            carry = got ? utf8_incomplete_tail((const unsigned char *)chunk, n) : 0;
            n -= carry;
            s = chunk;
        } else {
            if (!first)
                break;
            s = buf;
            n = len;
        }
        if (first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        first = 0;
        if ((st = feed_chunk(&r, &p, s, n, &pending_cr)))
            break;
        if (carry)
            memmove(chunk, s + n, carry);
    }
    if (!st)
        st = finish(&r, &p);
    csv_free(&p);
    if (st) {
        loc_csv_destroy(csv);
        return NULL;
    }
    return csv;
}

loc_csv *loc_csv_read(loc_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        loc_error(ctx, LOC_EIO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    /* fopen accepts a folder on POSIX systems; the first read would fail
     * with a less helpful "read error" */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        loc_error(ctx, LOC_EIO, "cannot open '%s': %s", path, strerror(EISDIR));
        return NULL;
    }
    loc_csv *csv = read_source(ctx, path, f, NULL, 0);
    fclose(f);
    return csv;
}

loc_csv *loc_csv_parse(loc_ctx *ctx, const char *name, const void *buf, size_t len)
{
    return read_source(ctx, name, NULL, buf, len);
}

void loc_csv_destroy(loc_csv *csv)
{
    if (!csv)
        return;
    loc_ctx *ctx = csv->ctx;
    loc_free(ctx, csv->name);
    loc_free(ctx, csv->text);
    loc_free(ctx, csv->cells);
    loc_free(ctx, csv->lines);
    loc_free(ctx, csv);
}

const char *loc_csv_name(const loc_csv *csv) { return csv->name; }
size_t loc_csv_ncols(const loc_csv *csv) { return csv->ncols; }
size_t loc_csv_nrows(const loc_csv *csv) { return csv->nrecords ? csv->nrecords - 1 : 0; }
size_t loc_csv_skipped(const loc_csv *csv) { return csv->skipped; }

const char *loc_csv_header(const loc_csv *csv, size_t col) { return cell(csv, col); }

const char *loc_csv_field(const loc_csv *csv, size_t row, size_t col)
{
    return cell(csv, (row + 1) * csv->ncols + col);
}

size_t loc_csv_line(const loc_csv *csv, size_t row) { return csv->lines[row + 1]; }

/* Compare a header with one alternative of a '|' list, ignoring case and
 * the alternative's surrounding spaces. */
static int header_is(const char *h, const char *name, size_t len)
{
    while (len && isspace((unsigned char)*name)) {
        name++;
        len--;
    }
    while (len && isspace((unsigned char)name[len - 1]))
        len--;
    return len && strlen(h) == len && strncasecmp(h, name, len) == 0;
}

long loc_csv_column(const loc_csv *csv, const char *name)
{
    /* a header that holds '|' itself is found by its whole name first */
    if (strchr(name, '|'))
        for (size_t i = 0; i < csv->ncols; i++)
            if (header_is(cell(csv, i), name, strlen(name)))
                return (long)i;
    const char *alt = name;
    for (;;) {
        const char *bar = strchr(alt, '|');
        size_t len = bar ? (size_t)(bar - alt) : strlen(alt);
        for (size_t i = 0; i < csv->ncols; i++)
            if (header_is(cell(csv, i), alt, len))
                return (long)i;
        if (!bar)
            return -1;
        alt = bar + 1;
    }
}

/* ---------------------------------------------------------------------
 * Numbers
 * --------------------------------------------------------------------- */

static int is_missing_mark(const char *s, size_t n)
{
    static const char *const marks[] = {"*", "NA", "N/A", "..", ".", "-", "x", "c", "z", ":", "NULL", "#N/A"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (strlen(marks[i]) == n && strncasecmp(s, marks[i], n) == 0)
            return 1;
    return 0;
}

/* Error values a spreadsheet writes into cells it could not compute. */
static int is_errval(const char *s, size_t n)
{
    static const char *const vals[] = {"#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#N/A!"};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
        if (strlen(vals[i]) == n && strncasecmp(s, vals[i], n) == 0)
            return 1;
    return 0;
}

/* A plain decimal ("-12.375", "0.1", no exponent) of at most 15
 * significant digits and 22 decimals, as strtod reads it: the digits as
 * an integer and the power of ten are both exact doubles, so one division
 * rounds once, correctly (Clinger's fast path), with none of strtod's
 * general machinery; an indicator file is several hundred thousand such
 * cells.  0 for anything else (strtod decides). */
static int exact_decimal(const char *s, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint64_t m = 0;
    int sig = 0, decimals = 0, point = 0, any = 0;
    for (; *s; s++) {
        if (*s == '.' && !point) {
            point = 1;
            continue;
        }
        if (*s < '0' || *s > '9')
            return 0;
        any = 1;
        if (m || *s != '0')
            sig++;
        m = m * 10 + (uint64_t)(*s - '0');
        decimals += point;
        if (sig > 15 || decimals > 22)
            return 0;
    }
    if (!any)
        return 0;
    double v = (double)m / p10[decimals];
    *out = neg ? -v : v;
    return 1;
}

loc_num loc_parse_number(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return LOC_NUM_MISSING;
    /* no mark or error value starts with a digit: most cells skip both
     * lists */
    if (!isdigit((unsigned char)*s) && is_missing_mark(s, n))
        return LOC_NUM_MISSING;
    if (!isdigit((unsigned char)*s) && is_errval(s, n))
        return LOC_NUM_ERRVAL;
    if (s[n - 1] == '%')
        n--;
    char buf[64];
    size_t k = 0;
    int digits = 0, seen_point = 0, seen_exp = 0;
    size_t group = 0; /* digits since the last thousands separator, or 0 when none seen */
    int grouped = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (k + 1 >= sizeof buf)
            return LOC_NUM_BAD;
        if (isdigit((unsigned char)c)) {
            digits++;
            if (grouped && !seen_point && !seen_exp)
                group++;
            buf[k++] = c;
        } else if (c == ',' && digits && !seen_point && !seen_exp) {
            /* thousands separator: one to three digits, then groups of
             * exactly three */
            if (grouped ? group != 3 : digits > 3)
                return LOC_NUM_BAD;
            grouped = 1;
            group = 0;
        } else if ((c == '+' || c == '-') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E')) {
            buf[k++] = c;
        } else if (c == '.' && !seen_point && !seen_exp) {
            if (grouped && group != 3)
                return LOC_NUM_BAD;
            seen_point = 1;
            buf[k++] = c;
        } else if ((c == 'e' || c == 'E') && digits && !seen_exp) {
            seen_exp = 1;
            buf[k++] = c;
        } else {
            return LOC_NUM_BAD;
        }
    }
    if (!digits || (grouped && !seen_point && group != 3))
        return LOC_NUM_BAD;
    buf[k] = '\0';
    if (exact_decimal(buf, out))
        return LOC_NUM_OK;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || !isfinite(v))
        return LOC_NUM_BAD;
    *out = v;
    return LOC_NUM_OK;
}

int loc_csv_put_field(FILE *f, const char *s) { return loc_put_csv_field(f, s); }
