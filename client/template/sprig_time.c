/*
 * sprig_time.c - Go's time.Time for the date functions: Format and ParseInLocation with
 * Go layouts ("2006-01-02 15:04:05.999999999 -0700 MST"), Duration parsing and printing,
 * and the document form of a time value (see sprig.h).
 *
 * The layout scanner is Go's nextStdChunk rule for rule (Jan/January, Mon/Monday, 01/1,
 * 02/2/_2, 002/__2, 15/3/03, 04/4, 05/5, 2006/06, PM/pm, MST, the Z07:00 and -07:00
 * families, .000/.999 and ,000/,999 fractions).  Calendar arithmetic is proleptic
 * Gregorian on int64 seconds, so years before 1 and after 9999 format as Go does.
 */
#include <time.h>

#include "sprig_internal.h"

enum {
    STD_NONE,
    STD_LONG_MONTH,
    STD_MONTH,
    STD_NUM_MONTH,
    STD_ZERO_MONTH,
    STD_LONG_WEEKDAY,
    STD_WEEKDAY,
    STD_DAY,
    STD_UNDER_DAY,
    STD_ZERO_DAY,
    STD_UNDER_YEARDAY,
    STD_ZERO_YEARDAY,
    STD_HOUR,
    STD_HOUR12,
    STD_ZERO_HOUR12,
    STD_MINUTE,
    STD_ZERO_MINUTE,
    STD_SECOND,
    STD_ZERO_SECOND,
    STD_LONG_YEAR,
    STD_YEAR,
    STD_PM,
    STD_pm,
    STD_TZ,
    STD_ISO8601_TZ,
    STD_ISO8601_SECONDS_TZ,
    STD_ISO8601_SHORT_TZ,
    STD_ISO8601_COLON_TZ,
    STD_ISO8601_COLON_SECONDS_TZ,
    STD_NUM_TZ,
    STD_NUM_SECONDS_TZ,
    STD_NUM_SHORT_TZ,
    STD_NUM_COLON_TZ,
    STD_NUM_COLON_SECONDS_TZ,
    STD_FRAC0,
    STD_FRAC9,
};

struct chunk {
    size_t prefix; /* bytes of literal text before the element */
    int std;
    size_t len; /* bytes of the element */
    int digits; /* fractions: number of digits */
    char sep;   /* fractions: '.' or ',' */
};

static const char *const long_months[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

static int has(const char *l, size_t n, size_t i, const char *s)
{
    size_t k = strlen(s);

    return n >= i + k && memcmp(l + i, s, k) == 0;
}

/* Go's nextStdChunk. */
static struct chunk next_chunk(const char *l, size_t n)
{
    static const int std0x[] = {STD_ZERO_MONTH,  STD_ZERO_DAY,    STD_ZERO_HOUR12,
                                STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR};
    struct chunk c = {0, STD_NONE, 0, 0, 0};

    for (size_t i = 0; i < n; i++) {
        c.prefix = i;
        switch (l[i]) {
        case 'J':
            if (has(l, n, i, "Jan")) {
                if (has(l, n, i, "January")) {
                    c.std = STD_LONG_MONTH;
                    c.len = 7;
                    return c;
                }
                if (!(i + 3 < n && l[i + 3] >= 'a' && l[i + 3] <= 'z')) {
                    c.std = STD_MONTH;
                    c.len = 3;
                    return c;
                }
            }
            break;
        case 'M':
            if (has(l, n, i, "Mon")) {
                if (has(l, n, i, "Monday")) {
                    c.std = STD_LONG_WEEKDAY;
                    c.len = 6;
                    return c;
                }
                if (!(i + 3 < n && l[i + 3] >= 'a' && l[i + 3] <= 'z')) {
                    c.std = STD_WEEKDAY;
                    c.len = 3;
                    return c;
                }
            }
            if (has(l, n, i, "MST")) {
                c.std = STD_TZ;
                c.len = 3;
                return c;
            }
            break;
        case '0':
            if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6') {
                c.std = std0x[l[i + 1] - '1'];
                c.len = 2;
                return c;
            }
            if (has(l, n, i, "002")) {
                c.std = STD_ZERO_YEARDAY;
                c.len = 3;
                return c;
            }
            break;
        case '1':
            if (i + 1 < n && l[i + 1] == '5') {
                c.std = STD_HOUR;
                c.len = 2;
                return c;
            }
            c.std = STD_NUM_MONTH;
            c.len = 1;
            return c;
        case '2':
            if (has(l, n, i, "2006")) {
                c.std = STD_LONG_YEAR;
                c.len = 4;
                return c;
            }
            c.std = STD_DAY;
            c.len = 1;
            return c;
        case '_':
            if (i + 1 < n && l[i + 1] == '2') {
                if (has(l, n, i + 1, "2006")) {
                    c.prefix = i + 1;
                    c.std = STD_LONG_YEAR;
                    c.len = 4;
                    return c;
                }
                c.std = STD_UNDER_DAY;
                c.len = 2;
                return c;
            }
            if (has(l, n, i, "__2")) {
                c.std = STD_UNDER_YEARDAY;
                c.len = 3;
                return c;
            }
            break;
        case '3':
            c.std = STD_HOUR12;
            c.len = 1;
            return c;
        case '4':
            c.std = STD_MINUTE;
            c.len = 1;
            return c;
        case '5':
            c.std = STD_SECOND;
            c.len = 1;
            return c;
        case 'P':
            if (i + 1 < n && l[i + 1] == 'M') {
                c.std = STD_PM;
                c.len = 2;
                return c;
            }
            break;
        case 'p':
            if (i + 1 < n && l[i + 1] == 'm') {
                c.std = STD_pm;
                c.len = 2;
                return c;
            }
            break;
        case '-': {
            static const struct {
                const char *s;
                int std;
            } t[] = {{"-070000", STD_NUM_SECONDS_TZ},
                     {"-07:00:00", STD_NUM_COLON_SECONDS_TZ},
                     {"-0700", STD_NUM_TZ},
                     {"-07:00", STD_NUM_COLON_TZ},
                     {"-07", STD_NUM_SHORT_TZ}};
            for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
                if (has(l, n, i, t[k].s)) {
                    c.std = t[k].std;
                    c.len = strlen(t[k].s);
                    return c;
                }
            }
            break;
        }
        case 'Z': {
            static const struct {
                const char *s;
                int std;
            } t[] = {{"Z070000", STD_ISO8601_SECONDS_TZ},
                     {"Z07:00:00", STD_ISO8601_COLON_SECONDS_TZ},
                     {"Z0700", STD_ISO8601_TZ},
                     {"Z07:00", STD_ISO8601_COLON_TZ},
                     {"Z07", STD_ISO8601_SHORT_TZ}};
            for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
                if (has(l, n, i, t[k].s)) {
                    c.std = t[k].std;
                    c.len = strlen(t[k].s);
                    return c;
                }
            }
            break;
        }
        case '.':
        case ',':
            if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
                char ch = l[i + 1];
                size_t j = i + 1;
                while (j < n && l[j] == ch)
                    j++;
                if (!(j < n && l[j] >= '0' && l[j] <= '9')) {
                    c.std = ch == '0' ? STD_FRAC0 : STD_FRAC9;
                    c.len = j - i;
                    c.digits = (int)(j - (i + 1));
                    c.sep = l[i];
                    return c;
                }
            }
            break;
        default:
            break;
        }
    }
    c.prefix = n;
    c.std = STD_NONE;
    return c;
}

/* Calendar date of days since 1970-01-01. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int m, int64_t y)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* floor division */
static int64_t fdiv(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void sprig_time_zone(const struct sprig_time *t, int64_t sec, struct sprig_zone *z)
{
    if (t->loc[0] == '\0') { /* fixed zone */
        z->offset = t->fixoff;
        snprintf(z->abbr, sizeof(z->abbr), "%s", t->fixabbr);
        z->start = INT64_MIN;
        z->end = INT64_MAX;
        return;
    }
    sprig_tz_lookup(sprig_tz_load(t->loc), sec, z);
}

int sprig_time_set_location(struct sprig_time *t, const char *name)
{
    const struct sprig_tz *tz = sprig_tz_load(name);

    if (tz == NULL)
        return -1;
    snprintf(t->loc, sizeof(t->loc), "%s", name[0] == '\0' ? "UTC" : name);
    return 0;
}

void sprig_time_now(struct sprig_time *t)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    memset(t, 0, sizeof(*t));
    t->sec = ts.tv_sec;
    t->nsec = (int32_t)ts.tv_nsec;
    snprintf(t->loc, sizeof(t->loc), "Local");
}

/* Go's appendInt: zero-padded to width, '-' for negatives. */
static int put_int(struct dbuf *b, int64_t v, int width)
{
    if (v < 0)
        return dbuf_printf(b, "-%0*lld", width, (long long)-v);
    return dbuf_printf(b, "%0*lld", width, (long long)v);
}

int sprig_time_format(const struct sprig_time *t, const char *l, size_t n, struct dbuf *out)
{
    struct sprig_zone z;
    int64_t local, days, year, sod;
    int month, day, yday, hour, min, sec, wday, r = 0;

    sprig_time_zone(t, t->sec, &z);
    local = t->sec + z.offset;
    days = fdiv(local, 86400);
    sod = local - days * 86400;
    civil_from_days(days, &year, &month, &day);
    yday = (int)(days - days_from_civil(year, 1, 1)) + 1;
    wday = (int)(((days % 7) + 11) % 7);
    hour = (int)(sod / 3600);
    min = (int)(sod / 60 % 60);
    sec = (int)(sod % 60);
    while (r == 0 && n > 0) {
        struct chunk c = next_chunk(l, n);
        r = dbuf_add(out, l, c.prefix);
        if (r != 0 || c.std == STD_NONE)
            break;
        l += c.prefix + c.len;
        n -= c.prefix + c.len;
        switch (c.std) {
        case STD_YEAR:
            r = put_int(out, (year < 0 ? -year : year) % 100, 2);
            break;
        case STD_LONG_YEAR:
            r = put_int(out, year, 4);
            break;
        case STD_MONTH:
            r = dbuf_add(out, long_months[month - 1], 3);
            break;
        case STD_LONG_MONTH:
            r = dbuf_adds(out, long_months[month - 1]);
            break;
        case STD_NUM_MONTH:
            r = put_int(out, month, 0);
            break;
        case STD_ZERO_MONTH:
            r = put_int(out, month, 2);
            break;
        case STD_WEEKDAY:
            r = dbuf_add(out, long_days[wday], 3);
            break;
        case STD_LONG_WEEKDAY:
            r = dbuf_adds(out, long_days[wday]);
            break;
        case STD_DAY:
            r = put_int(out, day, 0);
            break;
        case STD_UNDER_DAY:
            if (day < 10)
                r = dbuf_addc(out, ' ');
            if (r == 0)
                r = put_int(out, day, 0);
            break;
        case STD_ZERO_DAY:
            r = put_int(out, day, 2);
            break;
        case STD_UNDER_YEARDAY:
            if (yday < 100)
                r = dbuf_adds(out, yday < 10 ? "  " : " ");
            if (r == 0)
                r = put_int(out, yday, 0);
            break;
        case STD_ZERO_YEARDAY:
            r = put_int(out, yday, 3);
            break;
        case STD_HOUR:
            r = put_int(out, hour, 2);
            break;
        case STD_HOUR12:
        case STD_ZERO_HOUR12:
            r = put_int(out, hour % 12 == 0 ? 12 : hour % 12, c.std == STD_HOUR12 ? 0 : 2);
            break;
        case STD_MINUTE:
        case STD_ZERO_MINUTE:
            r = put_int(out, min, c.std == STD_MINUTE ? 0 : 2);
            break;
        case STD_SECOND:
        case STD_ZERO_SECOND:
            r = put_int(out, sec, c.std == STD_SECOND ? 0 : 2);
            break;
        case STD_PM:
            r = dbuf_adds(out, hour >= 12 ? "PM" : "AM");
            break;
        case STD_pm:
            r = dbuf_adds(out, hour >= 12 ? "pm" : "am");
            break;
        case STD_TZ:
            if (z.abbr[0] != '\0') {
                r = dbuf_adds(out, z.abbr);
            } else {
                int zone = z.offset / 60;
                r = dbuf_addc(out, zone < 0 ? '-' : '+');
                if (zone < 0)
                    zone = -zone;
                if (r == 0)
                    r = dbuf_printf(out, "%02d%02d", zone / 60, zone % 60);
            }
            break;
        case STD_FRAC0:
        case STD_FRAC9: {
            char digs[16];
            int nd = c.digits > 9 ? 9 : c.digits;
            if (c.std == STD_FRAC9 && (c.digits == 0 || t->nsec == 0))
                break;
            snprintf(digs, sizeof(digs), "%09d", (int)t->nsec);
            digs[nd] = '\0';
            if (c.std == STD_FRAC9) {
                while (nd > 0 && digs[nd - 1] == '0')
                    digs[--nd] = '\0';
                if (nd == 0)
                    break;
            }
            r = dbuf_addc(out, c.sep);
            if (r == 0)
                r = dbuf_adds(out, digs);
            break;
        }
        default: { /* the numeric zone families */
            int iso = c.std >= STD_ISO8601_TZ && c.std <= STD_ISO8601_COLON_SECONDS_TZ;
            int colon = c.std == STD_ISO8601_COLON_TZ || c.std == STD_NUM_COLON_TZ ||
                        c.std == STD_ISO8601_COLON_SECONDS_TZ || c.std == STD_NUM_COLON_SECONDS_TZ;
            int secs = c.std == STD_ISO8601_SECONDS_TZ || c.std == STD_NUM_SECONDS_TZ ||
                       c.std == STD_NUM_COLON_SECONDS_TZ || c.std == STD_ISO8601_COLON_SECONDS_TZ;
            int shrt = c.std == STD_NUM_SHORT_TZ || c.std == STD_ISO8601_SHORT_TZ;
            int zone = z.offset / 60, abs = z.offset;
            if (iso && z.offset == 0) {
                r = dbuf_addc(out, 'Z');
                break;
            }
            if (zone < 0) {
                r = dbuf_addc(out, '-');
                zone = -zone;
                abs = -abs;
            } else {
                r = dbuf_addc(out, '+');
            }
            if (r == 0)
                r = dbuf_printf(out, "%02d", zone / 60);
            if (r == 0 && colon)
                r = dbuf_addc(out, ':');
            if (r == 0 && !shrt)
                r = dbuf_printf(out, "%02d", zone % 60);
            if (r == 0 && secs) {
                if (c.std == STD_NUM_COLON_SECONDS_TZ || c.std == STD_ISO8601_COLON_SECONDS_TZ)
                    r = dbuf_addc(out, ':');
                if (r == 0)
                    r = dbuf_printf(out, "%02d", abs % 60);
            }
        }
        }
    }
    if (r == 0 && out->p == NULL)
        r = dbuf_add(out, "", 0);
    return r;
}

/* time.Date(...) in t's location (the wall clock is normalised like Go's). */
static void time_date(struct sprig_time *t, int64_t year, int64_t month, int64_t day, int64_t hour,
                      int64_t min, int64_t sec, int64_t nsec)
{
    struct sprig_zone z;
    int64_t unix;

    month -= 1;
    year += fdiv(month, 12);
    month -= fdiv(month, 12) * 12;
    sec += fdiv(nsec, 1000000000);
    nsec -= fdiv(nsec, 1000000000) * 1000000000;
    unix = days_from_civil(year, month + 1, 1) * 86400 + (day - 1) * 86400 + hour * 3600 +
           min * 60 + sec;
    sprig_time_zone(t, unix, &z);
    if (z.offset != 0) {
        int64_t utc = unix - z.offset;
        if (utc < z.start || utc >= z.end)
            sprig_time_zone(t, utc, &z);
        unix -= z.offset;
    }
    t->sec = unix;
    t->nsec = (int32_t)nsec;
}

/* ParseError text. */
static void parse_error(char *err, size_t errlen, const char *layout, size_t llen,
                        const char *value, size_t vlen, const char *velem, size_t velen,
                        const char *lelem, size_t lelen, const char *msg)
{
    struct dbuf b = DBUF_INIT;

    dbuf_adds(&b, "parsing time ");
    sprig_go_quote(value, vlen, &b);
    if (msg != NULL) {
        dbuf_adds(&b, msg);
    } else {
        dbuf_adds(&b, " as ");
        sprig_go_quote(layout, llen, &b);
        dbuf_adds(&b, ": cannot parse ");
        sprig_go_quote(velem, velen, &b);
        dbuf_adds(&b, " as ");
        sprig_go_quote(lelem, lelen, &b);
    }
    snprintf(err, errlen, "%s", b.p != NULL ? b.p : "parsing time: error");
    dbuf_free(&b);
}

static int isdig(const char *s, size_t n, size_t i)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

/* getnum: one or two digits (exactly two when fixed). */
static int getnum(const char **s, size_t *n, int fixed, int *out)
{
    if (!isdig(*s, *n, 0))
        return -1;
    if (!isdig(*s, *n, 1)) {
        if (fixed)
            return -1;
        *out = (*s)[0] - '0';
        (*s)++;
        (*n)--;
        return 0;
    }
    *out = ((*s)[0] - '0') * 10 + ((*s)[1] - '0');
    *s += 2;
    *n -= 2;
    return 0;
}

/* Case-insensitive prefix lookup of a month or day name; index or -1. */
static int name_lookup(const char *const *tab, int ntab, int shrt, const char **s, size_t *n)
{
    for (int i = 0; i < ntab; i++) {
        size_t k = shrt ? 3 : strlen(tab[i]), j;
        if (*n < k)
            continue;
        for (j = 0; j < k; j++) {
            char a = (*s)[j], b = tab[i][j];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a + 32);
            if (b >= 'A' && b <= 'Z')
                b = (char)(b + 32);
            if (a != b)
                break;
        }
        if (j == k) {
            *s += k;
            *n -= k;
            return i;
        }
    }
    return -1;
}

/* Go's parseTimeZone: length of a zone abbreviation at s, 0 if none. */
static size_t zone_name_len(const char *s, size_t n)
{
    size_t up = 0;

    if (n < 3)
        return 0;
    if (n >= 4 && (memcmp(s, "ChST", 4) == 0 || memcmp(s, "MeST", 4) == 0))
        return 4;
    if (memcmp(s, "GMT", 3) == 0 || s[0] == '+' || s[0] == '-') {
        size_t base = s[0] == 'G' ? 3 : 0, i;
        int64_t x = 0;
        if (base == 3 && n == 3)
            return 3;
        if (s[base] != '+' && s[base] != '-')
            return base;
        for (i = base + 1; i < n && s[i] >= '0' && s[i] <= '9' && x <= 12; i++)
            x = x * 10 + (s[i] - '0');
        if (i == base + 1 || x > 12)
            return base;
        return i;
    }
    while (up < 6 && up < n && s[up] >= 'A' && s[up] <= 'Z')
        up++;
    if (up == 3)
        return 3;
    if (up == 4 && (s[3] == 'T' || memcmp(s, "WITA", 4) == 0))
        return 4;
    if (up == 5 && s[4] == 'T')
        return 5;
    return 0;
}

/* parseNanoseconds: s starts with the separator; nbytes includes it. */
static int parse_nanos(const char *s, size_t nbytes, int *ns)
{
    int64_t v = 0;

    if (s[0] != '.' && s[0] != ',')
        return -1;
    if (nbytes > 10)
        nbytes = 10;
    if (nbytes < 2)
        return -1;
    for (size_t i = 1; i < nbytes; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    for (size_t i = nbytes; i < 10; i++)
        v *= 10;
    *ns = (int)v;
    return 0;
}

int sprig_time_parse(const char *layout, size_t llen, const char *value, size_t vlen,
                     const char *loc, struct sprig_time *t, char *err, size_t errlen)
{
    const char *l = layout, *v = value;
    size_t ln = llen, vn = vlen;
    int64_t year = 0;
    int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
    int am = 0, pm = 0, zone_off = -1, utc = 0;
    char zname[16] = "";

    for (;;) {
        struct chunk c = next_chunk(l, ln);
        const char *hold;
        size_t holdn;
        const char *range = NULL;
        int bad = 0;
        /* skip the literal prefix; a space matches any run of spaces */
        for (size_t i = 0; i < c.prefix;) {
            if (l[i] == ' ') {
                if (vn > 0 && v[0] != ' ') {
                    parse_error(err, errlen, layout, llen, value, vlen, v, vn, l, c.prefix, NULL);
                    return -1;
                }
                while (i < c.prefix && l[i] == ' ')
                    i++;
                while (vn > 0 && v[0] == ' ') {
                    v++;
                    vn--;
                }
                continue;
            }
            if (vn == 0 || v[0] != l[i]) {
                parse_error(err, errlen, layout, llen, value, vlen, v, vn, l, c.prefix, NULL);
                return -1;
            }
            i++;
            v++;
            vn--;
        }
        if (c.std == STD_NONE) {
            if (vn != 0) {
                struct dbuf m = DBUF_INIT;
                dbuf_adds(&m, ": extra text: ");
                sprig_go_quote(v, vn, &m);
                parse_error(err, errlen, layout, llen, value, vlen, NULL, 0, NULL, 0,
                            m.p != NULL ? m.p : "");
                dbuf_free(&m);
                return -1;
            }
            break;
        }
        const char *stdstr = l + c.prefix;
        size_t stdlen = c.len;
        l += c.prefix + c.len;
        ln -= c.prefix + c.len;
        hold = v;
        holdn = vn;
        switch (c.std) {
        case STD_YEAR:
            if (vn < 2 || !isdig(v, vn, 0) || !isdig(v, vn, 1)) {
                bad = 1;
                break;
            }
            year = (v[0] - '0') * 10 + (v[1] - '0');
            year += year >= 69 ? 1900 : 2000;
            v += 2;
            vn -= 2;
            break;
        case STD_LONG_YEAR:
            if (vn < 4 || !isdig(v, vn, 0) || !isdig(v, vn, 1) || !isdig(v, vn, 2) ||
                !isdig(v, vn, 3)) {
                bad = 1;
                break;
            }
            year = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
            v += 4;
            vn -= 4;
            break;
        case STD_MONTH:
        case STD_LONG_MONTH:
            month = name_lookup(long_months, 12, c.std == STD_MONTH, &v, &vn);
            bad = month < 0;
            month++;
            break;
        case STD_NUM_MONTH:
        case STD_ZERO_MONTH:
            bad = getnum(&v, &vn, c.std == STD_ZERO_MONTH, &month) != 0;
            if (!bad && (month <= 0 || month > 12))
                range = "month";
            break;
        case STD_WEEKDAY:
        case STD_LONG_WEEKDAY:
            bad = name_lookup(long_days, 7, c.std == STD_WEEKDAY, &v, &vn) < 0;
            break;
        case STD_DAY:
        case STD_UNDER_DAY:
        case STD_ZERO_DAY:
            if (c.std == STD_UNDER_DAY && vn > 0 && v[0] == ' ') {
                v++;
                vn--;
            }
            bad = getnum(&v, &vn, c.std == STD_ZERO_DAY, &day) != 0;
            break;
        case STD_UNDER_YEARDAY:
        case STD_ZERO_YEARDAY: {
            int k = 0;
            for (int i = 0; i < 2; i++)
                if (c.std == STD_UNDER_YEARDAY && vn > 0 && v[0] == ' ') {
                    v++;
                    vn--;
                }
            yday = 0;
            while (k < 3 && isdig(v, vn, (size_t)k)) {
                yday = yday * 10 + (v[k] - '0');
                k++;
            }
            if (k == 0 || (c.std == STD_ZERO_YEARDAY && k != 3)) {
                bad = 1;
                break;
            }
            v += k;
            vn -= (size_t)k;
            break;
        }
        case STD_HOUR:
            bad = getnum(&v, &vn, 0, &hour) != 0;
            if (hour < 0 || hour >= 24)
                range = "hour";
            break;
        case STD_HOUR12:
        case STD_ZERO_HOUR12:
            bad = getnum(&v, &vn, c.std == STD_ZERO_HOUR12, &hour) != 0;
            if (hour < 0 || hour > 12)
                range = "hour";
            break;
        case STD_MINUTE:
        case STD_ZERO_MINUTE:
            bad = getnum(&v, &vn, c.std == STD_ZERO_MINUTE, &min) != 0;
            if (min < 0 || min >= 60)
                range = "minute";
            break;
        case STD_SECOND:
        case STD_ZERO_SECOND:
            bad = getnum(&v, &vn, c.std == STD_ZERO_SECOND, &sec) != 0;
            if (sec < 0 || sec >= 60) {
                range = "second";
                break;
            }
            /* a fraction in the value but not in the layout */
            if (!bad && vn >= 2 && (v[0] == '.' || v[0] == ',') && isdig(v, vn, 1)) {
                struct chunk nx = next_chunk(l, ln);
                size_t k = 2;
                if (nx.std == STD_FRAC0 || nx.std == STD_FRAC9)
                    break;
                while (isdig(v, vn, k))
                    k++;
                bad = parse_nanos(v, k, &nsec) != 0;
                v += k;
                vn -= k;
            }
            break;
        case STD_PM:
        case STD_pm:
            if (vn < 2) {
                bad = 1;
                break;
            }
            if (memcmp(v, c.std == STD_PM ? "PM" : "pm", 2) == 0)
                pm = 1;
            else if (memcmp(v, c.std == STD_PM ? "AM" : "am", 2) == 0)
                am = 1;
            else
                bad = 1;
            v += 2;
            vn -= 2;
            break;
        case STD_TZ: {
            size_t k;
            if (vn >= 3 && memcmp(v, "UTC", 3) == 0) {
                utc = 1;
                v += 3;
                vn -= 3;
                break;
            }
            k = zone_name_len(v, vn);
            if (k == 0 || k >= sizeof(zname)) {
                bad = 1;
                break;
            }
            memcpy(zname, v, k);
            zname[k] = '\0';
            v += k;
            vn -= k;
            break;
        }
        case STD_FRAC0: {
            size_t nd = 1 + (size_t)c.digits;
            if (vn < nd) {
                bad = 1;
                break;
            }
            bad = parse_nanos(v, nd, &nsec) != 0;
            v += nd;
            vn -= nd;
            break;
        }
        case STD_FRAC9: {
            size_t i = 0;
            if (vn < 2 || (v[0] != '.' && v[0] != ',') || v[1] < '0' || v[1] > '9')
                break;
            while (i < 9 && i + 1 < vn && v[i + 1] >= '0' && v[i + 1] <= '9')
                i++;
            bad = parse_nanos(v, 1 + i, &nsec) != 0;
            v += 1 + i;
            vn -= 1 + i;
            break;
        }
        default: { /* numeric zones */
            int iso = c.std >= STD_ISO8601_TZ && c.std <= STD_ISO8601_COLON_SECONDS_TZ;
            int hh = 0, mm = 0, ss = 0;
            size_t need;
            const char *hs, *ms = "00", *ss_ = "00";
            char sign;
            if ((c.std == STD_ISO8601_TZ || c.std == STD_ISO8601_SHORT_TZ ||
                 c.std == STD_ISO8601_COLON_TZ) &&
                vn >= 1 && v[0] == 'Z') {
                v++;
                vn--;
                utc = 1;
                break;
            }
            (void)iso;
            if (c.std == STD_ISO8601_COLON_TZ || c.std == STD_NUM_COLON_TZ) {
                need = 6;
                if (vn < need || v[3] != ':') {
                    bad = 1;
                    break;
                }
                ms = v + 4;
            } else if (c.std == STD_NUM_SHORT_TZ || c.std == STD_ISO8601_SHORT_TZ) {
                need = 3;
                if (vn < need) {
                    bad = 1;
                    break;
                }
            } else if (c.std == STD_ISO8601_COLON_SECONDS_TZ || c.std == STD_NUM_COLON_SECONDS_TZ) {
                need = 9;
                if (vn < need || v[3] != ':' || v[6] != ':') {
                    bad = 1;
                    break;
                }
                ms = v + 4;
                ss_ = v + 7;
            } else if (c.std == STD_ISO8601_SECONDS_TZ || c.std == STD_NUM_SECONDS_TZ) {
                need = 7;
                if (vn < need) {
                    bad = 1;
                    break;
                }
                ms = v + 3;
                ss_ = v + 5;
            } else {
                need = 5;
                if (vn < need) {
                    bad = 1;
                    break;
                }
                ms = v + 3;
            }
            sign = v[0];
            hs = v + 1;
            {
                const char *p;
                size_t pn;
                p = hs;
                pn = 2;
                bad = getnum(&p, &pn, 1, &hh) != 0;
                p = ms;
                pn = 2;
                if (!bad)
                    bad = getnum(&p, &pn, 1, &mm) != 0;
                p = ss_;
                pn = 2;
                if (!bad)
                    bad = getnum(&p, &pn, 1, &ss) != 0;
            }
            zone_off = (hh * 60 + mm) * 60 + ss;
            if (sign == '-')
                zone_off = -zone_off;
            else if (sign != '+')
                bad = 1;
            v += need;
            vn -= need;
        }
        }
        if (range != NULL) {
            char msg[64];
            snprintf(msg, sizeof(msg), ": %s out of range", range);
            parse_error(err, errlen, layout, llen, value, vlen, NULL, 0, NULL, 0, msg);
            return -1;
        }
        if (bad) {
            parse_error(err, errlen, layout, llen, value, vlen, hold, holdn, stdstr, stdlen, NULL);
            return -1;
        }
    }
    if (pm && hour < 12)
        hour += 12;
    else if (am && hour == 12)
        hour = 0;
    if (yday >= 0) {
        int d = 0, m = 0;
        static const int before[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};
        if (is_leap(year)) {
            if (yday == 31 + 29) {
                m = 2;
                d = 29;
            } else if (yday > 31 + 29) {
                yday--;
            }
        }
        if (yday < 1 || yday > 365) {
            parse_error(err, errlen, layout, llen, value, vlen, NULL, 0, NULL, 0,
                        ": day-of-year out of range");
            return -1;
        }
        if (m == 0) {
            m = (yday - 1) / 31 + 1;
            if (before[m] < yday)
                m++;
            d = yday - before[m - 1];
        }
        if ((month >= 0 && month != m) || (day >= 0 && day != d)) {
            parse_error(err, errlen, layout, llen, value, vlen, NULL, 0, NULL, 0,
                        month >= 0 && month != m ? ": day-of-year does not match month"
                                                 : ": day-of-year does not match day");
            return -1;
        }
        month = m;
        day = d;
    } else {
        if (month < 0)
            month = 1;
        if (day < 0)
            day = 1;
    }
    if (day < 1 || day > days_in(month, year)) {
        parse_error(err, errlen, layout, llen, value, vlen, NULL, 0, NULL, 0, ": day out of range");
        return -1;
    }
    memset(t, 0, sizeof(*t));
    if (utc) {
        snprintf(t->loc, sizeof(t->loc), "UTC");
        time_date(t, year, month, day, hour, min, sec, nsec);
        return 0;
    }
    snprintf(t->loc, sizeof(t->loc), "UTC");
    time_date(t, year, month, day, hour, min, sec, nsec); /* the wall clock as UTC */
    if (zone_off != -1 || zname[0] != '\0') {
        struct sprig_time lt;
        struct sprig_zone z;
        int32_t off = 0;
        memset(&lt, 0, sizeof(lt));
        snprintf(lt.loc, sizeof(lt.loc), "%s", loc);
        if (zone_off != -1) {
            t->sec -= zone_off;
            sprig_time_zone(&lt, t->sec, &z);
            if (z.offset == zone_off && (zname[0] == '\0' || strcmp(z.abbr, zname) == 0)) {
                snprintf(t->loc, sizeof(t->loc), "%s", loc);
                return 0;
            }
            t->loc[0] = '\0';
            t->fixoff = zone_off;
            snprintf(t->fixabbr, sizeof(t->fixabbr), "%s", zname);
            return 0;
        }
        if (sprig_tz_lookup_name(sprig_tz_load(loc), zname, t->sec, &off)) {
            t->sec -= off;
            snprintf(t->loc, sizeof(t->loc), "%s", loc);
            return 0;
        }
        if (strlen(zname) > 3 && memcmp(zname, "GMT", 3) == 0)
            off = (int32_t)strtol(zname + 3, NULL, 10) * 3600;
        t->loc[0] = '\0';
        t->fixoff = off;
        snprintf(t->fixabbr, sizeof(t->fixabbr), "%s", zname);
        return 0;
    }
    snprintf(t->loc, sizeof(t->loc), "%s", loc);
    time_date(t, year, month, day, hour, min, sec, nsec);
    return 0;
}

static const char string_layout[] = "2006-01-02 15:04:05.999999999 -0700 MST";

struct doc *sprig_time_doc(const struct sprig_time *t)
{
    struct dbuf b = DBUF_INIT;
    struct doc *d;
    char *tag;
    size_t n;

    if (sprig_time_format(t, string_layout, sizeof(string_layout) - 1, &b) != 0) {
        dbuf_free(&b);
        return NULL;
    }
    d = doc_str(b.p, b.len);
    dbuf_free(&b);
    n = sizeof(SPRIG_TIME_TAG) + strlen(t->loc);
    tag = malloc(n);
    if (d == NULL || tag == NULL) {
        free(tag);
        doc_free(d);
        return NULL;
    }
    snprintf(tag, n, "%s%s", SPRIG_TIME_TAG, t->loc);
    d->tag = tag;
    return d;
}

int sprig_time_from_doc(const struct doc *d, struct sprig_time *t)
{
    const char *s, *loc;
    int64_t year = 0, v[5];
    int neg = 0, off, nsec = 0;
    size_t i = 0, n;

    if (!sprig_is_time(d))
        return -1;
    s = d->v.s.ptr;
    n = d->v.s.len;
    loc = strchr(d->tag, '|') + 1;
    memset(t, 0, sizeof(*t));
    snprintf(t->loc, sizeof(t->loc), "%s", loc);
    /* "[-]YYYY-MM-DD HH:MM:SS[.fffffffff] ±hhmm NAME" */
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9')
        year = year * 10 + (s[i++] - '0');
    if (neg)
        year = -year;
    for (int k = 0; k < 5; k++) {
        if (i + 3 > n)
            return -1;
        i++; /* separator */
        v[k] = (s[i] - '0') * 10 + (s[i + 1] - '0');
        i += 2;
    }
    if (i < n && s[i] == '.') {
        int digits = 0;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            nsec = nsec * 10 + (s[i++] - '0');
            digits++;
        }
        while (digits++ < 9)
            nsec *= 10;
    }
    if (i + 6 > n || (s[i + 1] != '+' && s[i + 1] != '-'))
        return -1;
    off = ((s[i + 2] - '0') * 10 + (s[i + 3] - '0')) * 3600 +
          ((s[i + 4] - '0') * 10 + (s[i + 5] - '0')) * 60;
    if (s[i + 1] == '-')
        off = -off;
    t->sec = (days_from_civil(year, v[0], v[1]) * 86400 + v[2] * 3600 + v[3] * 60 + v[4]) - off;
    t->nsec = nsec;
    if (t->loc[0] == '\0') {
        const char *name = i + 7 <= n ? s + i + 7 : "";
        t->fixoff = off;
        /* a numeric name is how Go prints a fixed zone without a name */
        if (!(name[0] == '+' || name[0] == '-'))
            snprintf(t->fixabbr, sizeof(t->fixabbr), "%.*s", (int)(n - (size_t)(name - s)), name);
    }
    return 0;
}

/* Go's leadingInt for durations: 0, or -1 on overflow. */
static int leading_int(const char **s, size_t *n, uint64_t *x)
{
    *x = 0;
    while (*n > 0 && **s >= '0' && **s <= '9') {
        if (*x > (UINT64_C(1) << 63) / 10)
            return -1;
        *x = *x * 10 + (uint64_t)(**s - '0');
        if (*x > (UINT64_C(1) << 63))
            return -1;
        (*s)++;
        (*n)--;
    }
    return 0;
}

int sprig_parse_duration(const char *s0, size_t len, int64_t *ns, char *err, size_t errlen)
{
    static const struct {
        const char *u;
        uint64_t ns;
    } units[] = {{"ns", 1},
                 {"us", 1000},
                 {"\xC2\xB5s", 1000},
                 {"\xCE\xBCs", 1000},
                 {"ms", 1000000},
                 {"s", 1000000000},
                 {"m", UINT64_C(60000000000)},
                 {"h", UINT64_C(3600000000000)}};
    const char *s = s0;
    size_t n = len;
    uint64_t d = 0;
    int neg = 0;
    struct dbuf q = DBUF_INIT;

    sprig_go_quote(s0, len, &q);
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (n == 1 && s[0] == '0') {
        *ns = 0;
        dbuf_free(&q);
        return 0;
    }
    if (n == 0)
        goto invalid;
    while (n > 0) {
        uint64_t v, f = 0, unit = 0;
        double scale = 1;
        size_t before = n, i = 0;
        int pre, post = 0;
        if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
            goto invalid;
        if (leading_int(&s, &n, &v) != 0)
            goto invalid;
        pre = n != before;
        if (n > 0 && s[0] == '.') {
            int overflow = 0;
            size_t b2;
            s++;
            n--;
            b2 = n;
            while (n > 0 && s[0] >= '0' && s[0] <= '9') {
                if (!overflow) {
                    if (f > (UINT64_C(1) << 63) / 10 - 1) {
                        overflow = 1;
                    } else {
                        f = f * 10 + (uint64_t)(s[0] - '0');
                        scale *= 10;
                    }
                }
                s++;
                n--;
            }
            post = n != b2;
        }
        if (!pre && !post)
            goto invalid;
        while (i < n && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
            i++;
        if (i == 0) {
            snprintf(err, errlen, "time: missing unit in duration %s", q.p);
            dbuf_free(&q);
            return -1;
        }
        for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
            if (strlen(units[k].u) == i && memcmp(units[k].u, s, i) == 0)
                unit = units[k].ns;
        if (unit == 0) {
            struct dbuf u = DBUF_INIT;
            sprig_go_quote(s, i, &u);
            snprintf(err, errlen, "time: unknown unit %s in duration %s", u.p, q.p);
            dbuf_free(&u);
            dbuf_free(&q);
            return -1;
        }
        s += i;
        n -= i;
        if (v > (UINT64_C(1) << 63) / unit)
            goto invalid;
        v *= unit;
        if (f > 0) {
            v += (uint64_t)((double)f * ((double)unit / scale));
            if (v > (UINT64_C(1) << 63))
                goto invalid;
        }
        d += v;
        if (d > (UINT64_C(1) << 63))
            goto invalid;
    }
    if (!neg && d > (uint64_t)INT64_MAX)
        goto invalid;
    *ns = neg ? (int64_t)(0 - d) : (int64_t)d;
    dbuf_free(&q);
    return 0;
invalid:
    snprintf(err, errlen, "time: invalid duration %s", q.p != NULL ? q.p : "\"\"");
    dbuf_free(&q);
    return -1;
}

/* fmtFrac: v/10^prec's fraction into the tail of buf (trailing zeros dropped). */
static size_t fmt_frac(char *buf, size_t w, uint64_t *v, int prec)
{
    int print = 0;

    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);
        print = print || digit != 0;
        if (print)
            buf[--w] = (char)('0' + digit);
        *v /= 10;
    }
    if (print)
        buf[--w] = '.';
    return w;
}

static size_t fmt_int(char *buf, size_t w, uint64_t v)
{
    if (v == 0) {
        buf[--w] = '0';
        return w;
    }
    while (v > 0) {
        buf[--w] = (char)('0' + v % 10);
        v /= 10;
    }
    return w;
}

int sprig_format_duration(int64_t d, struct dbuf *out)
{
    char buf[40];
    size_t w = sizeof(buf);
    uint64_t u = (uint64_t)d;
    int neg = d < 0;

    if (neg)
        u = 0 - u;
    if (u < 1000000000) {
        int prec;
        if (u == 0)
            return dbuf_adds(out, "0s");
        buf[--w] = 's';
        if (u < 1000) {
            prec = 0;
            buf[--w] = 'n';
        } else if (u < 1000000) {
            prec = 3;
            buf[--w] = (char)0xB5;
            buf[--w] = (char)0xC2;
        } else {
            prec = 6;
            buf[--w] = 'm';
        }
        w = fmt_frac(buf, w, &u, prec);
        w = fmt_int(buf, w, u);
    } else {
        buf[--w] = 's';
        w = fmt_frac(buf, w, &u, 9);
        w = fmt_int(buf, w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            w = fmt_int(buf, w, u % 60);
            u /= 60;
            if (u > 0) {
                buf[--w] = 'h';
                w = fmt_int(buf, w, u);
            }
        }
    }
    if (neg)
        buf[--w] = '-';
    return dbuf_add(out, buf + w, sizeof(buf) - w);
}
