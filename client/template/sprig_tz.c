/*
 * sprig_tz.c - time zones for the date functions: reads TZif files from the system zone
 * database and answers "which offset and abbreviation apply at this instant", the way
 * Go's time.LoadLocation and Location.lookup do (including the POSIX TZ footer rule
 * that extends the transition table into the future).
 *
 * We read the files ourselves rather than use localtime_r because that only knows the
 * process-wide TZ: switching TZ per call would mean changing the environment under a
 * lock.  Zones are loaded once and cached for the life of the program; files are
 * size-capped.
 *
 * Sources, as Go: $ZONEINFO (a directory), then /usr/share/zoneinfo, /usr/share/lib/
 * zoneinfo, /usr/lib/locale/TZ.  "Local" follows $TZ (unset: /etc/localtime, empty or
 * unknown: UTC; ":name" and absolute paths allowed).
 */
#include <pthread.h>
#include <stdio.h>

#include "sprig_internal.h"

#define TZ_MAX_FILE (256 * 1024)
#define ALPHA       INT64_MIN
#define OMEGA       INT64_MAX

struct tz_zone {
    int32_t offset;
    int isdst;
    char abbr[16];
};

struct tz_trans {
    int64_t when;
    uint8_t idx;
};

struct sprig_tz {
    char name[128];
    struct tz_zone *zones;
    size_t nzones;
    struct tz_trans *tx;
    size_t ntx;
    char extend[64];
};

struct tz_entry {
    struct tz_entry *next;
    char key[160];
    struct sprig_tz *tz;
};

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz_entry *tz_cache;
static struct sprig_tz tz_utc = {"UTC", NULL, 0, NULL, 0, ""};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parse TZif data (Go's LoadLocationFromTZData); NULL when malformed. */
static struct sprig_tz *tz_parse(const char *name, const unsigned char *d, size_t len)
{
    struct sprig_tz *tz;
    size_t pos = 0, counts[6], tsize = 4;
    int version;

    if (len < 44 || memcmp(d, "TZif", 4) != 0)
        return NULL;
    version = d[4] == 0 ? 1 : d[4] - '0';
    for (int pass = 0; pass < 2; pass++) {
        if (pos + 44 > len)
            return NULL;
        for (int i = 0; i < 6; i++)
            counts[i] = be32(d + pos + 20 + 4 * (size_t)i);
        /* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
        size_t body = counts[3] * tsize + counts[3] + counts[4] * 6 + counts[5] +
                      counts[2] * (tsize + 4) + counts[1] + counts[0];
        if (pass == 0 && version >= 2) { /* skip the 32-bit block, use the 64-bit one */
            pos += 44 + body;
            tsize = 8;
            continue;
        }
        pos += 44;
        if (pos + body > len || counts[4] == 0 || counts[4] > 256 || counts[5] > 1024)
            return NULL;
        break;
    }
    tz = calloc(1, sizeof(*tz));
    if (tz == NULL)
        return NULL;
    snprintf(tz->name, sizeof(tz->name), "%s", name);
    tz->ntx = counts[3];
    tz->nzones = counts[4];
    tz->tx = calloc(tz->ntx + 1, sizeof(*tz->tx));
    tz->zones = calloc(tz->nzones, sizeof(*tz->zones));
    if (tz->tx == NULL || tz->zones == NULL)
        goto bad;
    {
        const unsigned char *times = d + pos, *idx = times + tz->ntx * tsize;
        const unsigned char *types = idx + tz->ntx, *chars = types + tz->nzones * 6;
        for (size_t i = 0; i < tz->ntx; i++) {
            tz->tx[i].when = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
            tz->tx[i].idx = idx[i];
            if (idx[i] >= tz->nzones)
                goto bad;
        }
        for (size_t i = 0; i < tz->nzones; i++) {
            const unsigned char *t = types + 6 * i;
            size_t a = t[5];
            tz->zones[i].offset = (int32_t)be32(t);
            tz->zones[i].isdst = t[4] != 0;
            if (a >= counts[5])
                goto bad;
            snprintf(tz->zones[i].abbr, sizeof(tz->zones[i].abbr), "%.*s",
                     (int)strnlen((const char *)chars + a, counts[5] - a), chars + a);
        }
        pos += counts[3] * tsize + counts[3] + counts[4] * 6 + counts[5] + counts[2] * (tsize + 4) +
               counts[1] + counts[0];
    }
    /* footer: "\nTZ-string\n" */
    if (version >= 2 && pos + 2 <= len && d[pos] == '\n') {
        const unsigned char *nl = memchr(d + pos + 1, '\n', len - pos - 1);
        if (nl != NULL && (size_t)(nl - (d + pos + 1)) < sizeof(tz->extend))
            snprintf(tz->extend, sizeof(tz->extend), "%.*s", (int)(nl - (d + pos + 1)),
                     d + pos + 1);
    }
    if (tz->ntx == 0) { /* Go: a single transition at the dawn of time */
        tz->tx[0].when = ALPHA;
        tz->tx[0].idx = 0;
        tz->ntx = 1;
    }
    return tz;
bad:
    free(tz->tx);
    free(tz->zones);
    free(tz);
    return NULL;
}

/* Read a whole (small) file; NULL when absent or too large. */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    size_t n;

    if (f == NULL)
        return NULL;
    buf = malloc(TZ_MAX_FILE);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, TZ_MAX_FILE, f);
    fclose(f);
    if (n == 0 || n >= TZ_MAX_FILE) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Load zone `name` from the directories (absolute when dirs is NULL). */
static struct sprig_tz *tz_load_file(const char *name, const char *const *dirs)
{
    static const char *const none[] = {"", NULL};

    for (const char *const *dir = dirs != NULL ? dirs : none; *dir != NULL; dir++) {
        char path[512];
        unsigned char *data;
        size_t len;
        struct sprig_tz *tz;
        if ((*dir)[0] == '\0')
            snprintf(path, sizeof(path), "%s", name);
        else
            snprintf(path, sizeof(path), "%s/%s", *dir, name);
        if ((data = read_file(path, &len)) == NULL)
            continue;
        tz = tz_parse(name, data, len);
        free(data);
        if (tz != NULL)
            return tz;
    }
    return NULL;
}

/* Go's LoadLocation search for an IANA name. */
static struct sprig_tz *tz_load_named(const char *name)
{
    static const char *const sys[] = {"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo",
                                      "/usr/lib/locale/TZ", NULL};
    const char *zi = getenv("ZONEINFO");
    struct sprig_tz *tz = NULL;

    if (zi != NULL && zi[0] != '\0') {
        const char *dirs[] = {zi, NULL};
        tz = tz_load_file(name, dirs);
    }
    return tz != NULL ? tz : tz_load_file(name, sys);
}

/* The zone Go calls Local. */
static struct sprig_tz *tz_load_local(void)
{
    const char *tz = getenv("TZ");
    struct sprig_tz *z = NULL;

    if (tz == NULL) {
        static const char *const etc[] = {"/etc", NULL};
        z = tz_load_file("localtime", etc);
    } else if (tz[0] != '\0') {
        if (tz[0] == ':')
            tz++;
        if (tz[0] == '/')
            z = tz_load_file(tz, NULL);
        else if (tz[0] != '\0' && strcmp(tz, "UTC") != 0)
            z = tz_load_named(tz);
    }
    if (z != NULL)
        snprintf(z->name, sizeof(z->name), "Local");
    return z;
}

const struct sprig_tz *sprig_tz_load(const char *name)
{
    struct sprig_tz *tz = NULL;
    struct tz_entry *e;
    char key[160];
    int local = strcmp(name, "Local") == 0;

    if (name[0] == '\0' || strcmp(name, "UTC") == 0)
        return &tz_utc;
    if (!local &&
        (strstr(name, "..") != NULL || name[0] == '/' || name[0] == '\\' || strlen(name) > 120))
        return NULL;
    /* Local is keyed by the current $TZ so that a change of TZ takes effect */
    if (local) {
        const char *env = getenv("TZ");
        snprintf(key, sizeof(key), "Local%s%.120s", env != NULL ? "=" : "", env != NULL ? env : "");
    } else {
        snprintf(key, sizeof(key), "%s", name);
    }
    pthread_mutex_lock(&tz_lock);
    for (e = tz_cache; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0)
            break;
    pthread_mutex_unlock(&tz_lock);
    if (e != NULL)
        return e->tz;
    tz = local ? tz_load_local() : tz_load_named(name);
    if (tz == NULL)
        return local ? &tz_utc : NULL;
    /* Entries live for the whole program: they are only ever created for names that
     * resolve to zone files, so their number is bounded by the zone database. */
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        free(tz->tx);
        free(tz->zones);
        free(tz);
        return NULL;
    }
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->tz = tz;
    pthread_mutex_lock(&tz_lock);
    e->next = tz_cache;
    tz_cache = e;
    pthread_mutex_unlock(&tz_lock);
    return tz;
}

/* --- POSIX TZ strings (the TZif footer), after Go's tzset --- */

enum { RULE_JULIAN, RULE_DOY, RULE_MWD };

struct tz_rule {
    int kind, day, week, mon, time;
};

/* A number in [min, max] at the start of *s. */
static int tzset_num(const char **s, int min, int max, int *out)
{
    int n = 0, i = 0;

    while ((*s)[i] >= '0' && (*s)[i] <= '9') {
        n = n * 10 + ((*s)[i] - '0');
        if (n > max)
            return 0;
        i++;
    }
    if (i == 0 || n < min)
        return 0;
    *s += i;
    *out = n;
    return 1;
}

/* A zone name: letters (at least 3) or <...>. */
static int tzset_name(const char **s, char *name, size_t len)
{
    const char *p = *s;

    if (*p == '\0')
        return 0;
    if (*p == '<') {
        const char *e = strchr(p, '>');
        if (e == NULL)
            return 0;
        snprintf(name, len, "%.*s", (int)(e - p - 1), p + 1);
        *s = e + 1;
        return 1;
    }
    while (*p != '\0' && strchr("0123456789,-+", *p) == NULL)
        p++;
    if (p - *s < 3)
        return 0;
    snprintf(name, len, "%.*s", (int)(p - *s), *s);
    *s = p;
    return 1;
}

/* [+-]hh[:mm[:ss]] in seconds. */
static int tzset_offset(const char **s, int *off)
{
    int neg = 0, h, m = 0, sec = 0;

    if (**s == '+') {
        (*s)++;
    } else if (**s == '-') {
        (*s)++;
        neg = 1;
    }
    if (!tzset_num(s, 0, 24 * 7, &h))
        return 0;
    if (**s == ':') {
        (*s)++;
        if (!tzset_num(s, 0, 59, &m))
            return 0;
        if (**s == ':') {
            (*s)++;
            if (!tzset_num(s, 0, 59, &sec))
                return 0;
        }
    }
    *off = h * 3600 + m * 60 + sec;
    if (neg)
        *off = -*off;
    return 1;
}

static int tzset_rule(const char **s, struct tz_rule *r)
{
    memset(r, 0, sizeof(*r));
    if (**s == 'J') {
        (*s)++;
        r->kind = RULE_JULIAN;
        if (!tzset_num(s, 1, 365, &r->day))
            return 0;
    } else if (**s == 'M') {
        (*s)++;
        r->kind = RULE_MWD;
        if (!tzset_num(s, 1, 12, &r->mon) || **s != '.')
            return 0;
        (*s)++;
        if (!tzset_num(s, 1, 5, &r->week) || **s != '.')
            return 0;
        (*s)++;
        if (!tzset_num(s, 0, 6, &r->day))
            return 0;
    } else {
        r->kind = RULE_DOY;
        if (!tzset_num(s, 0, 365, &r->day))
            return 0;
    }
    r->time = 2 * 3600;
    if (**s == '/') {
        (*s)++;
        return tzset_offset(s, &r->time);
    }
    return 1;
}

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
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

static int days_in(int mon, int64_t year)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return mon == 2 && is_leap(year) ? 29 : dm[mon - 1];
}

/* Seconds into the year at which the rule fires (Go's tzruleTime). */
static int64_t tzrule_time(int64_t year, const struct tz_rule *r, int off)
{
    int64_t s = 0;

    if (r->kind == RULE_JULIAN) {
        s = (int64_t)(r->day - 1) * 86400;
        if (is_leap(year) && r->day >= 60)
            s += 86400;
    } else if (r->kind == RULE_DOY) {
        s = (int64_t)r->day * 86400;
    } else {
        /* day of week of the first of the month, then the week'th such day */
        int64_t first = days_from_civil(year, r->mon, 1);
        int dow = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
        int d = r->day - dow, yday;
        if (d < 0)
            d += 7;
        for (int i = 1; i < r->week; i++) {
            if (d + 7 >= days_in(r->mon, year))
                break;
            d += 7;
        }
        yday = (int)(first - days_from_civil(year, 1, 1)) + d;
        s = (int64_t)yday * 86400;
    }
    return s + r->time - off;
}

/* Go's tzset: the zone of a TZ string at sec; 0 when the string is unusable. */
static int tzstring_zone(const char *s, int64_t last_tx, int64_t sec, struct sprig_zone *z)
{
    char stdn[16], dstn[16];
    int stdoff, dstoff;
    struct tz_rule start, end;
    int64_t days, year, ystart, ysec, st, en;

    if (!tzset_name(&s, stdn, sizeof(stdn)) || !tzset_offset(&s, &stdoff))
        return 0;
    stdoff = -stdoff;
    if (*s == '\0' || *s == ',') {
        z->offset = stdoff;
        snprintf(z->abbr, sizeof(z->abbr), "%s", stdn);
        z->start = last_tx;
        z->end = OMEGA;
        return 1;
    }
    if (!tzset_name(&s, dstn, sizeof(dstn)))
        return 0;
    if (*s == '\0' || *s == ',') {
        dstoff = stdoff + 3600;
    } else {
        if (!tzset_offset(&s, &dstoff))
            return 0;
        dstoff = -dstoff;
    }
    if (*s == '\0')
        s = ",M3.2.0,M11.1.0";
    if (*s != ',' && *s != ';')
        return 0;
    s++;
    if (!tzset_rule(&s, &start) || *s != ',')
        return 0;
    s++;
    if (!tzset_rule(&s, &end) || *s != '\0')
        return 0;
    /* the year of sec (UTC) and the start of that year */
    days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    {
        int64_t z0 = days + 719468, era = (z0 >= 0 ? z0 : z0 - 146096) / 146097;
        int64_t doe = z0 - era * 146097,
                yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
        year = yoe + era * 400 + (mp >= 10);
    }
    ystart = days_from_civil(year, 1, 1) * 86400;
    ysec = sec - ystart;
    st = tzrule_time(year, &start, stdoff);
    en = tzrule_time(year, &end, dstoff);
    if (en < st) { /* southern hemisphere: swap the roles */
        int64_t t = st;
        char tn[16];
        int to = stdoff;
        st = en;
        en = t;
        memcpy(tn, stdn, sizeof(tn));
        memcpy(stdn, dstn, sizeof(stdn));
        memcpy(dstn, tn, sizeof(dstn));
        stdoff = dstoff;
        dstoff = to;
    }
    if (ysec < st) {
        z->offset = stdoff;
        snprintf(z->abbr, sizeof(z->abbr), "%s", stdn);
        z->start = ystart;
        z->end = st + ystart;
    } else if (ysec >= en) {
        z->offset = stdoff;
        snprintf(z->abbr, sizeof(z->abbr), "%s", stdn);
        z->start = en + ystart;
        z->end = ystart + 365 * 86400;
    } else {
        z->offset = dstoff;
        snprintf(z->abbr, sizeof(z->abbr), "%s", dstn);
        z->start = st + ystart;
        z->end = en + ystart;
    }
    return 1;
}

/* Go's lookupFirstZone: the zone in effect before the first transition. */
static size_t first_zone(const struct sprig_tz *tz)
{
    int used = 0;

    for (size_t i = 0; i < tz->ntx; i++)
        used |= tz->tx[i].idx == 0;
    if (!used)
        return 0;
    if (tz->ntx > 0 && tz->zones[tz->tx[0].idx].isdst)
        for (int zi = (int)tz->tx[0].idx - 1; zi >= 0; zi--)
            if (!tz->zones[zi].isdst)
                return (size_t)zi;
    for (size_t zi = 0; zi < tz->nzones; zi++)
        if (!tz->zones[zi].isdst)
            return zi;
    return 0;
}

void sprig_tz_lookup(const struct sprig_tz *tz, int64_t sec, struct sprig_zone *z)
{
    size_t lo = 0, hi;
    const struct tz_zone *zone;

    if (tz == NULL || tz->nzones == 0) {
        z->offset = 0;
        snprintf(z->abbr, sizeof(z->abbr), "UTC");
        z->start = ALPHA;
        z->end = OMEGA;
        return;
    }
    if (tz->ntx == 0 || sec < tz->tx[0].when) {
        zone = &tz->zones[first_zone(tz)];
        z->offset = zone->offset;
        snprintf(z->abbr, sizeof(z->abbr), "%s", zone->abbr);
        z->start = ALPHA;
        z->end = tz->ntx > 0 ? tz->tx[0].when : OMEGA;
        return;
    }
    z->end = OMEGA;
    hi = tz->ntx;
    while (hi - lo > 1) {
        size_t m = lo + (hi - lo) / 2;
        if (sec < tz->tx[m].when) {
            z->end = tz->tx[m].when;
            hi = m;
        } else {
            lo = m;
        }
    }
    zone = &tz->zones[tz->tx[lo].idx];
    z->offset = zone->offset;
    snprintf(z->abbr, sizeof(z->abbr), "%s", zone->abbr);
    z->start = tz->tx[lo].when;
    if (lo == tz->ntx - 1 && tz->extend[0] != '\0') {
        struct sprig_zone e;
        if (tzstring_zone(tz->extend, z->start, sec, &e))
            *z = e;
    }
}

int sprig_tz_lookup_name(const struct sprig_tz *tz, const char *abbr, int64_t sec, int32_t *offset)
{
    if (tz == NULL)
        return 0;
    for (size_t i = 0; i < tz->nzones; i++) {
        if (strcmp(tz->zones[i].abbr, abbr) == 0) {
            struct sprig_zone z;
            sprig_tz_lookup(tz, sec - tz->zones[i].offset, &z);
            if (strcmp(z.abbr, abbr) == 0) {
                *offset = z.offset;
                return 1;
            }
        }
    }
    for (size_t i = 0; i < tz->nzones; i++) {
        if (strcmp(tz->zones[i].abbr, abbr) == 0) {
            *offset = tz->zones[i].offset;
            return 1;
        }
    }
    return 0;
}
