/* geo.c - great-circle distances and spread_km's state (geo.h). */
#include "geo.h"

#include <math.h>

double win_geo_km(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	           cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	if (a > 1)
		a = 1;              /* rounding near the antipode */
	return 2 * WIN_EARTH_KM * asin(sqrt(a));
}

void win_geo_add(struct win_geo *g, double lat, double lon)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (g->lat[i] == lat && g->lon[i] == lon)
			return;                  /* the same place again */
	for (uint32_t i = 0; i < g->n; i++) {
		double km = win_geo_km(g->lat[i], g->lon[i], lat, lon);
		if (km > g->best)
			g->best = km;
	}
	if (g->n < WIN_GEO_PTS) {
		g->lat[g->n] = lat;
		g->lon[g->n++] = lon;
	}
}

void win_geo_merge(struct win_geo *dst, const struct win_geo *src)
{
	if (src->best > dst->best)
		dst->best = src->best;
	for (uint32_t i = 0; i < src->n; i++)
		win_geo_add(dst, src->lat[i], src->lon[i]);
}
