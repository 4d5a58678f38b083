/* libFuzzer target: window's event parsing (scanner, timestamps in every
 * unit, keys, aggregate inputs) and the engine behind it.  Each input is
 * split into lines; good events are fed to a small-window engine so
 * watermarks, lateness and firing see arbitrary timestamps too. */
#include "nw.h"
#include "agg.h"
#include "engine.h"
#include "event.h"
#include "wtime.h"

#include <stdlib.h>
#include <string.h>

static struct win_agg aggs[16];
static int naggs;
static size_t st_size;
static struct win_parser parsers[6];

static void sink(const char *rec, size_t n, const struct win_tag *tag, void *arg)
{
	(void)rec;
	(void)n;
	(void)arg;
}

static void setup(void)
{
	static const char *const keys[] = { "src_ip", "dst_ip" };
	static const char *const extra[] = {
		"min(app_layer.status_code)", "c=count_if(protocol != \"TCP\")",
		"d=count_if(flags contains 3)", NULL,
	};
	char err[256];

	nw_log_init("window");
	nw_log_set_level(NW_ERROR);
	for (const char *const *s = win_default_aggs; *s; s++)
		if (strcmp(*s, "count") != 0 && win_agg_parse(*s, &aggs[naggs], err, sizeof err) == 0)
			naggs++;
	for (const char *const *s = extra; *s; s++)
		if (win_agg_parse(*s, &aggs[naggs], err, sizeof err) == 0)
			naggs++;
	st_size = win_aggs_layout(aggs, naggs);
	for (int u = WT_AUTO; u <= WT_RFC3339; u++)
		if (win_parser_init(&parsers[u], "timestamp", (enum win_tunit)u, keys, 2,
		                    aggs, naggs, err, sizeof err) < 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "src_ip", "dst_ip" };
	static bool ready;
	struct win_engine e;
	struct win_cfg cfg = { 3000, 1000, 500, 700, 50 };
	char *buf;
	int64_t ms;

	if (!ready) {
		setup();
		ready = true;
	}
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	win_rfc3339(buf, size, &ms);
	if (win_engine_init(&e, &cfg, aggs, naggs, st_size, names,
	                    parsers[0].key_slots, 2, sink, NULL) < 0)
		abort();
	for (char *line = buf, *end = buf + size; line <= end; ) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		char saved = line[n];
		line[n] = '\0';
		for (int u = WT_AUTO; u <= WT_RFC3339; u++) {
			struct win_parser *p = &parsers[u];
			if (win_parse_event(p, line, n, &ms) == NULL && u == WT_AUTO)
				win_engine_event(&e, ms, p->vals, p->in);
		}
		line[n] = saved;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	win_engine_finish(&e);
	win_engine_free(&e);
	free(buf);
	return 0;
}
