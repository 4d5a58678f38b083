/*
 * geo.h - spread_km's state: the distinct locations of a pane or window
 * (up to WIN_GEO_PTS of them) and the largest great-circle distance
 * between any two seen.
 *
 * The state is a plain block (no pointers), all zero when empty, so panes
 * and snapshots copy it as bytes.  Exact while a window holds at most
 * WIN_GEO_PTS distinct locations; past that, a further location is still
 * measured against those kept but is not kept itself, so the answer is a
 * lower bound (one user in more than eight places within a window is
 * rare, and the distance already found is not lost).
 */
#ifndef WIN_GEO_H
#define WIN_GEO_H

#include <stdint.h>

#define WIN_GEO_PTS 8
#define WIN_EARTH_KM 6371.0088      /* mean Earth radius (IUGG) */

struct win_geo {
	double lat[WIN_GEO_PTS], lon[WIN_GEO_PTS];
	double best;                /* km */
	uint32_t n;
};

/* Great-circle distance in km between two points in degrees (haversine,
 * which stays accurate for short distances, clamped for antipodes). */
double win_geo_km(double lat1, double lon1, double lat2, double lon2);
/* One location into the state. */
void win_geo_add(struct win_geo *g, double lat, double lon);
/* Everything src saw into dst. */
void win_geo_merge(struct win_geo *dst, const struct win_geo *src);

#endif
