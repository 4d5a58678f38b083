/*
 * exporter (installed as netwatch-exporter) - one chain's metrics for
 * Prometheus: reads the run
 * directory scripts/supervise keeps (DIR/state and each stage's
 * DIR/<n>-<name>.stats) at every scrape and serves it at /metrics in the
 * text exposition format.  One exporter per chain, beside the stages
 * rather than inside them: the stages already publish everything in their
 * stats files, the supervisor's state (restarts, exit statuses) lives
 * nowhere else, and a stage stays a filter that never listens on a port.
 * `supervise --metrics ADDR` starts it with the chain.
 *
 * main owns the options and the server; the page is built per request by
 * page() from rundir.c (the files) and fields.c (the stats-field table).
 */
#include "nw.h"
#include "cli.h"
#include "http.h"
#include "prom.h"
#include "rundir.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_LISTEN "127.0.0.1:9464"

enum { O_CHAIN = 256, O_ONCE };

static const struct nw_flag flags[] = {
	{ "run-dir", 'd', "DIR", "the chain's run directory (its state and *.stats)" },
	{ "listen", 'l', "HOST:PORT", "address to serve on (default " DEFAULT_LISTEN ");\n"
	  "the host is required: 0.0.0.0:9464 for every\n"
	  "interface, [::1]:9464 for IPv6" },
	{ "chain", O_CHAIN, "NAME", "the chain label (default: DIR's last component)" },
	{ "once", O_ONCE, NULL, "print the metrics once on stdout and exit" },
	{ NULL, 0, NULL, NULL },
};

static const struct nw_cli cli = {
	.head =
"usage: exporter -d DIR [--listen HOST:PORT] [--chain NAME] [--once]\n"
"                [-h|--help] [-V|--version]\n"
"\n"
"Serve a supervised chain's state and stage counters (the run directory of\n"
"scripts/supervise -d DIR) as Prometheus metrics at http://HOST:PORT/metrics.\n"
"\n",
	.flags = flags,
	.tail = "\nMetrics are named netwatch_*; see the README (Prometheus metrics).\n",
};

struct opts {
	const char *run_dir, *listen, *chain;
	bool once;
};

/* Defaults, then the flags; anything bad exits 2 with one line. */
static void parse_flags(int argc, char **argv, struct opts *o)
{
	char host[256], port[16], err[300];
	int c;

	*o = (struct opts){ NULL, DEFAULT_LISTEN, NULL, false };
	while ((c = nw_getopt(argc, argv, &cli)) != -1)
		switch (c) {
		case 'd': o->run_dir = optarg; break;
		case 'l': o->listen = optarg; break;
		case O_CHAIN: o->chain = optarg; break;
		case O_ONCE: o->once = true; break;
		}
	nw_cli_no_args(argc, argv);
	if (o->run_dir == NULL || *o->run_dir == '\0')
		nw_usage_error("--run-dir: the chain's run directory is required "
		               "(see exporter --help)");
	if (o->chain != NULL && *o->chain == '\0')
		nw_usage_error("--chain: empty name");
	if (http_split_addr(o->listen, host, sizeof host, port, sizeof port, err,
	                    sizeof err) < 0)
		nw_usage_error("--listen: %s", err);
}

struct page_arg {
	const char *run_dir, *chain;
};

/* The whole page, read afresh from the run directory. */
static void page(struct nw_buf *out, void *arg)
{
	const struct page_arg *a = arg;
	struct prom p;
	struct prom_lset ls = prom_with((struct prom_lset){ .n = 0 }, "version",
	                                NW_VERSION);

	prom_init(&p);
	prom_sample(prom_family(&p, "build_info", PROM_GAUGE,
	            "The exporter's netwatch version, as a label; always 1."),
	            &ls, "1");
	rd_collect(&p, a->run_dir, a->chain);
	prom_render(&p, out);
	prom_free(&p);
}

/* The chain label: --chain, else the run directory's last component. */
static char *chain_name(const struct opts *o)
{
	char *copy, *name;

	if (o->chain)
		return nw_xstrdup(o->chain);
	copy = nw_xstrdup(o->run_dir);
	name = nw_xstrdup(basename(copy));
	free(copy);
	return name;
}

/* Wait for SIGTERM or SIGINT, blocked in every thread so it comes here. */
static int serve(const struct opts *o, struct page_arg *a)
{
	sigset_t set;
	char err[512];
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct http_srv *s = http_start(o->listen, page, a, err, sizeof err);
	if (s == NULL) {
		LOG_ERROR("%s", err);
		return NW_EXIT_FAIL;
	}
	LOG_INFO("serving http://%s/metrics run_dir=%s chain=%s", o->listen,
	         a->run_dir, a->chain);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		;                       /* nothing to reload */
	LOG_INFO("stopping on signal %d", sig);
	http_stop(s);
	return NW_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct stat sb;
	int rc = NW_EXIT_OK;

	nw_log_init("exporter");
	parse_flags(argc, argv, &o);
	if (stat(o.run_dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
		nw_usage_error("--run-dir: %s is not a directory", o.run_dir);
	if (stat(o.run_dir, &sb) != 0)
		LOG_WARN("no run directory yet (%s): serving what appears in it "
		         "dir=%s", strerror(errno), o.run_dir);
	char *chain = chain_name(&o);
	struct page_arg a = { o.run_dir, chain };
	if (o.once) {
		struct nw_buf b = { 0 };
		page(&b, &a);
		if (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
			rc = NW_EXIT_FAIL;
		nw_buf_free(&b);
	} else {
		rc = serve(&o, &a);
	}
	free(chain);
	return rc;
}
