/*
 * notify - post alerts to a Slack, Discord or generic webhook, or print the
 * payloads on stdout.
 *
 * Every alert is appended to a durable spool before its first attempt and
 * marked done once delivered or dead, so a crash loses none; delivered ids
 * are remembered so a replayed alert is not posted twice.  Posts are paced
 * to --rate; when more alerts wait than the rate allows they go out as one
 * digest.  One thread: the loop waits on stdin and the transfer together
 * (curl_multi_poll), so reading never blocks delivery and vice versa.
 *
 * This file: the flags and the webhook, set up, what to do with each input
 * line (lib's stage loop reads them and classifies control lines), the
 * --stdout loop, tear down.  The flag table is in opts.c, the posting loop
 * in post.c, the scheduling in deliver.c, barriers in barrier.c (ntf.h).
 * Ownership: everything lives in g, set up in main and freed at its end.
 */
#include "ntf.h"
#include "ckpt.h"
#include "stage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIE(...) do { LOG_ERROR(__VA_ARGS__); exit(NW_EXIT_FAIL); } while (0)

static struct {
	struct ntf_opts o;
	enum ntf_format fmt;             /* resolved */
	bool text, colour;               /* --stdout: readable lines (text.c) */
	struct nw_stage st;              /* the input: lib's read loop */
	struct nw_dlq dlq;
	struct ntf_barrier barrier;
	struct ntf_post post;            /* posting mode; its dlv counts in
	                                    --stdout mode too */
	uint64_t in_alerts;              /* counter (stats file) */
} g;

/* ---- input ------------------------------------------------------------- */

/* Control lines are consumed: a barrier (an integer id) waits in
 * g.barrier for the alerts before it; notify has no state to restore. */
static enum nw_stage_verdict on_ctl(struct nw_stage *st, enum nw_ctl_kind kind,
                                    uint64_t id, const char *line, size_t len)
{
	if (kind == NW_CTL_BARRIER)
		ntf_barrier_seen(&g.barrier, id);
	return NW_STAGE_CONSUMED;
}

static void on_line(struct nw_stage *st, char *line, size_t len)
{
	char id[NTF_ID_MAX + 1];
	const char *why;

	if ((why = ntf_alert_check(line, len, id)) != NULL) {
		nw_dlq_put(&g.dlq, why, line, len);
		return;
	}
	g.in_alerts++;
	if (g.o.to_stdout) {
		char *p = g.text ? ntf_text_alert(line, len, g.colour)
		                 : ntf_fmt_alert(g.fmt, line, len);
		if (p == NULL)
			DIE("out of memory formatting alert_id=%s", id);
		nw_out_line(p, strlen(p));
		free(p);
		g.post.dlv.delivered++;
		return;
	}
	ntf_dlv_take(&g.post.dlv, id, line, len);
	if (g.o.resend_ms > 0)
		ntf_resend_note(&g.post.resend, line, len);
}

static void on_end(struct nw_stage *st)
{
	if (!g.o.to_stdout)
		ntf_post_input_ended(&g.post, "end of input");
}

/* ---- --stdout ----------------------------------------------------------- */

/* --stdout: payloads out as alerts come in; flush before blocking. */
static void flush_then_barrier(void)
{
	nw_out_flush();
	ntf_barrier_publish(&g.barrier);
}

static int run_stdout(void)
{
	int rc;

	g.st.before_block = flush_then_barrier;
	if ((rc = nw_stage_run(&g.st)) == NW_EXIT_OK)
		flush_then_barrier();
	return rc;
}

/* ---- set up and tear down ------------------------------------------------ */

static void stats_setup(void)
{
	nw_stats_init(g.o.stats, 1000);
	nw_stats_u64("alerts_in", &g.in_alerts);
	ntf_dlv_stats(&g.post.dlv);
	nw_stats_u64("barriers", &g.barrier.count);
}

int main(int argc, char **argv)
{
	char *url, where[512] = "stdout", host[256] = "";
	int rc;

	nw_log_init("notify");
	ntf_opts_parse(argc, argv, &g.o);
	ntf_am_generator(g.o.generator_url);
	url = ntf_webhook_url(g.o.url_file);
	if (url && !ntf_url_public(url, where, sizeof where, host, sizeof host))
		nw_usage_error("the webhook URL is not a valid http(s) URL");
	if (url == NULL && !g.o.to_stdout)
		nw_usage_error("no webhook URL: set WEBHOOK_URL or give "
		               "--url-file FILE (or use --stdout)");
	g.fmt = g.o.format != NTF_FMT_AUTO ? g.o.format : ntf_format_for_url(url, host);
	if (g.o.resend_ms > 0 && (g.fmt != NTF_FMT_AM || g.o.to_stdout))
		nw_usage_error("--resend: only when posting in the alertmanager format");
	ntf_text_choose(&g.o, &g.text, &g.colour);
	g.barrier.file = g.o.barrier_file;
	g.barrier.ckpt_dir = nw_ckpt_dir(g.o.ckpt_dir);
	nw_sig_init();
	nw_out_init();
	srandom((unsigned)(nw_wall_ms() ^ getpid()));
	if (nw_dlq_open(&g.dlq, g.o.dead_letter) != 0)
		nw_usage_error("--dead-letter %s: %s", g.o.dead_letter,
		               strerror(errno));
	g.st = (struct nw_stage){
		.max_line = g.o.max_line, .dlq = &g.dlq, .on_line = on_line,
		.on_ctl = on_ctl, .on_end = on_end,
	};
	g.post = (struct ntf_post){ .o = &g.o, .st = &g.st, .dlq = &g.dlq,
	                            .barrier = &g.barrier, .fmt = g.fmt };
	stats_setup();

	if (g.o.to_stdout) {
		LOG_INFO("printing alerts on stdout format=%s",
		         g.text ? "text" : ntf_format_name(g.fmt));
		rc = run_stdout();
	} else {
		rc = ntf_post_run(&g.post, url, where);
	}
	nw_out_flush();
	nw_stats_close();
	nw_dlq_close(&g.dlq);
	free(url);
	return rc;
}
