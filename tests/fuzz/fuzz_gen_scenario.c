/* fuzz_gen_scenario.c - the scenario parser on arbitrary bytes: it must
 * accept or reject with a message, never crash or leak, and what it accepts
 * must be within the documented limits. */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_scenario sc;
	char err[200];

	err[0] = '\0';
	if (gen_scenario_parse((const char *)data, size, &sc, err, sizeof err) < 0) {
		if (err[0] == '\0' || sc.ep != NULL)
			abort();
		return 0;
	}
	if (sc.nep > GEN_MAX_EPISODES || sc.bg_duration_ms <= 0)
		abort();
	for (size_t i = 0; i < sc.nep; i++) {
		const struct gen_episode *ep = &sc.ep[i];
		struct gen_rng r = { i };
		struct gen_event e;
		if (ep->kind <= GEN_K_BACKGROUND || ep->kind >= GEN_K_COUNT ||
		    !(ep->rate > 0) || ep->duration_ms <= 0 || ep->at_ms < 0 ||
		    ep->port > 65535 || ep->sources == 0)
			abort();
		gen_event_normal(&e, &r, GEN_POOL_SIZE);
		gen_episode_event(ep, 65535, &r, &e);
	}
	gen_scenario_free(&sc);
	return 0;
}
