/*
 * stream.c - gen's event streams and their merge.  A stream is one source
 * of events with its own rate, PRNGs and event clock: the background
 * traffic, and in scenario mode one per attack episode.  The main loop
 * always takes the stream whose next event is earliest, so the output is
 * in event-time order; each stream remembers the span it emitted, which is
 * what --truth reports for an episode.
 *
 * Ownership: this file owns the stream table and each stream's PRNG array
 * (gen_streams_setup / gen_streams_free).  A stream points at its episode
 * in the caller's gen_scenario, which must outlive the streams.
 */
#include "gen.h"
#include "nw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gen_stream *streams;
static size_t nstreams;

/* Seeds for stream i: splitmix64 of the user's seed, so streams never share
 * a sequence. */
static uint64_t stream_seed(uint64_t seed, uint64_t i)
{
	struct gen_rng r = { seed + i * 0x632be59bd9b4e019ULL };
	return gen_rng_next(&r);
}

static void stream_init(struct gen_stream *s, const struct gen_episode *ep,
                        int64_t start_ms, int64_t dur_ms, double rate,
                        unsigned nrng, uint64_t seed, uint64_t idx)
{
	s->ep = ep;
	s->start_ns = start_ms * 1000000;
	s->end_ns = dur_ms > 0 ? s->start_ns + dur_ms * 1000000 : INT64_MAX;
	s->interval_ns = 1e9 / rate;
	s->next_ns = s->start_ns;
	s->nrng = nrng;
	s->rng = nw_xcalloc(nrng, sizeof *s->rng);
	for (unsigned i = 0; i < nrng; i++)
		s->rng[i].s = stream_seed(seed, idx * GEN_WORKERS_MAX + i);
	s->first_ts = -1;
}

/* Plain mode: one background stream, sharded over the workers.  Scenario
 * mode: the background plus one stream per episode. */
size_t gen_streams_setup(const struct gen_opts *o, const struct gen_scenario *sc)
{
	double time_rate = o->rate > 0 ? o->rate
	                 : o->eps > 0 ? o->eps : GEN_EPS_DEFAULT;

	if (!o->scenario) {
		streams = nw_xcalloc(1, sizeof *streams);
		nstreams = 1;
		stream_init(&streams[0], NULL, 0, 0, time_rate, o->workers,
		            o->seed, 0);
		return nstreams;
	}
	streams = nw_xcalloc(sc->nep + 1, sizeof *streams);
	if (sc->bg_rate > 0) {
		struct gen_stream *bg = &streams[nstreams++];
		stream_init(bg, NULL, 0, sc->bg_duration_ms, sc->bg_rate,
		            o->workers, o->seed, 0);
		/* Only a scenario that asks draws its own hosts, so the others
		 * keep their byte-identical output. */
		bg->nsrc = sc->bg_sources ? sc->bg_sources
		         : sc->bg_skew > 1 ? o->sources : 0;
		bg->skew = sc->bg_skew;
		bg->cycle_ns = sc->bg_cycle_ms * 1000000;
		bg->night = sc->bg_night;
	}
	for (size_t i = 0; i < sc->nep; i++) {
		const struct gen_episode *ep = &sc->ep[i];
		stream_init(&streams[nstreams++], ep, ep->at_ms, ep->duration_ms,
		            ep->rate, 1, o->seed, i + 1);
	}
	return nstreams;
}

/* The stream whose next event is earliest (ties: lowest index), or NULL. */
struct gen_stream *gen_stream_next(void)
{
	struct gen_stream *best = NULL;
	for (size_t i = 0; i < nstreams; i++) {
		struct gen_stream *s = &streams[i];
		if (s->next_ns < s->end_ns && (!best || s->next_ns < best->next_ns))
			best = s;
	}
	return best;
}

/* The event just made had timestamp ts (epoch s): widen the emitted span
 * and schedule the next one from the stream's start, so rounding never
 * accumulates. */
void gen_stream_advance(struct gen_stream *s, int64_t ts)
{
	if (s->first_ts < 0)
		s->first_ts = ts;
	s->last_ts = ts;
	gen_stream_skip(s);
}

/* The cycle starts at midnight (the night's rate), peaks at noon (the
 * peak rate) and follows a cosine between, so rates change smoothly. */
bool gen_stream_keep(const struct gen_stream *s, struct gen_rng *r)
{
	if (s->cycle_ns <= 0)
		return true;
	double phase = (double)((s->next_ns - s->start_ns) % s->cycle_ns) /
	               (double)s->cycle_ns;
	double f = s->night + (1 - s->night) * (1 - cos(2 * M_PI * phase)) / 2;
	return (double)(gen_rng_next(r) >> 11) * 0x1p-53 < f;
}

/* The next event: the clock moves on, the emitted span does not (also an
 * event the cycle left out). */
void gen_stream_skip(struct gen_stream *s)
{
	s->k++;
	s->next_ns = s->start_ns + (int64_t)((double)s->k * s->interval_ns);
}

/* One line per episode that emitted anything: its kind, the key field
 * detect will report it under, that key, and the emitted span in ms. */
void gen_streams_truth(FILE *fp)
{
	for (size_t i = 0; i < nstreams; i++) {
		const struct gen_stream *s = &streams[i];
		char key[40];
		if (s->ep == NULL || s->first_ts < 0 || gen_kinds[s->ep->kind].benign)
			continue;
		const struct gen_kind_desc *d = &gen_kinds[s->ep->kind];
		if (strcmp(d->key_field, "user") == 0)
			snprintf(key, sizeof key, "%s", s->ep->user);
		else
			gen_ip_format(key, d->key_field[0] == 'd' ? s->ep->dst : s->ep->src);
		fprintf(fp, "{\"kind\":\"%s\",\"key_field\":\"%s\",\"key\":\"%s\","
		        "\"start\":%lld,\"end\":%lld}\n", d->name, d->key_field, key,
		        (long long)s->first_ts * 1000, (long long)s->last_ts * 1000);
	}
}

void gen_streams_free(void)
{
	for (size_t i = 0; i < nstreams; i++)
		free(streams[i].rng);
	free(streams);
	streams = NULL;
	nstreams = 0;
}
