/*
 * sprig_network.c - getHostByName (net.LookupHost, then one address at random).
 *
 * This is the one Sprig function that needs the network (DNS, or /etc/hosts through
 * getaddrinfo).  Sprig itself panics with "invalid argument to Intn" when the lookup
 * fails; we report the resolver's error instead: "lookup NAME: <reason>".
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include "sprig_fns.h"

SPRIG_FN(sprig_get_host_by_name)
{
    struct sstr name;
    struct dbuf n = DBUF_INIT;
    struct addrinfo hints, *res = NULL;
    char addrs[32][INET6_ADDRSTRLEN];
    size_t count = 0;
    struct sprig_rng rng;
    int64_t k;
    int r;

    if ((r = sprig_arg_str(call, argv[0], &name)) != 0)
        return r;
    if (dbuf_add(&n, name.p, name.len) != 0 || dbuf_addc(&n, '\0') != 0) {
        dbuf_free(&n);
        return sprig_oom(call);
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    r = memchr(name.p, '\0', name.len) != NULL ? EAI_NONAME : getaddrinfo(n.p, NULL, &hints, &res);
    if (r != 0) {
        tmpl_call_fail(call, "lookup %s: %s", n.p, gai_strerror(r));
        dbuf_free(&n);
        return VALS_EBACKEND;
    }
    for (struct addrinfo *a = res; a != NULL && count < 32; a = a->ai_next) {
        const void *src = a->ai_family == AF_INET
                              ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
                              : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
        int dup = 0;
        if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
            continue;
        if (inet_ntop(a->ai_family, src, addrs[count], sizeof(addrs[count])) == NULL)
            continue;
        for (size_t i = 0; i < count; i++)
            dup |= strcmp(addrs[i], addrs[count]) == 0;
        if (!dup)
            count++;
    }
    freeaddrinfo(res);
    if (count == 0) {
        tmpl_call_fail(call, "lookup %s: no addresses", n.p);
        dbuf_free(&n);
        return VALS_EBACKEND;
    }
    dbuf_free(&n);
    sprig_rng_init(&rng);
    k = sprig_rng_below(&rng, count);
    sprig_rng_done(&rng);
    if (k < 0)
        return tmpl_call_fail(call, "random number generator failed");
    return sprig_ret_str(call, out, addrs[k], strlen(addrs[k]));
}
