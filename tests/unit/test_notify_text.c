/* Unit tests for notify's readable lines (text.c): the fields and their
 * order, colour only when asked, control characters neutralised, alerts
 * with fields missing, long messages cut, and when colour is on. */
#include "ntf.h"
#include "t.h"

#include <stdlib.h>

static const char alert[] =
	"{\"type\":\"alert\",\"alert_id\":\"9d16\",\"rule\":\"data_exfiltration\","
	"\"severity\":\"critical\",\"key_field\":\"src_ip\",\"key\":\"10.0.0.5\","
	"\"window_start\":1763711940000,\"window_end\":1763712000000,"
	"\"message\":\"DATA EXFILTRATION DETECTED! IP: 10.0.0.5\"}";

static char *render(const char *line, bool colour)
{
	return ntf_text_alert(line, strlen(line), colour);
}

TEST(plain_line)
{
	char *s = render(alert, false);
	CHECK_STR(s, "2025-11-21T08:00:00Z CRITICAL data_exfiltration "
	             "src_ip=10.0.0.5  DATA EXFILTRATION DETECTED! IP: 10.0.0.5");
	free(s);
}

TEST(colour_wraps_the_severity_only)
{
	char *s = render(alert, true);
	CHECK_STR(s, "2025-11-21T08:00:00Z \033[1;31mCRITICAL\033[0m "
	             "data_exfiltration src_ip=10.0.0.5  DATA EXFILTRATION "
	             "DETECTED! IP: 10.0.0.5");
	free(s);
	s = render("{\"severity\":\"warning\",\"rule\":\"r\",\"key\":\"k\"}", true);
	CHECK_STR(s, "- \033[33mWARNING\033[0m  r k  ");
	free(s);
	s = render("{\"severity\":\"odd\",\"rule\":\"r\",\"key\":\"k\"}", true);
	CHECK_STR(s, "- ODD      r k  ");
	free(s);
}

TEST(controls_cannot_reach_the_terminal)
{
	char *s = render("{\"severity\":\"info\",\"rule\":\"a\\u001b[2Jb\","
	                 "\"key\":\"x\\ny\",\"message\":\"m\\u0085\\u009bz\\u007f\"}",
	                 false);
	CHECK_STR(s, "- INFO     a?[2Jb x?y  m??z?");
	free(s);
	/* UTF-8 beyond the controls is kept. */
	s = render("{\"rule\":\"r\",\"key\":\"k\",\"message\":\"caf\\u00e9 \\u2192\"}",
	           false);
	CHECK_STR(s, "- -        r k  caf\xc3\xa9 \xe2\x86\x92");
	free(s);
}

TEST(long_message_is_cut)
{
	char line[2048], want[512];
	int n = snprintf(line, sizeof line, "{\"rule\":\"r\",\"key\":\"k\",\"message\":\"");
	for (int i = 0; i < 300; i++)
		n += snprintf(line + n, sizeof line - n, "\\u00e9");
	snprintf(line + n, sizeof line - n, "\"}");
	n = snprintf(want, sizeof want, "- -        r k  ");
	for (int i = 0; i < 240; i++)
		n += snprintf(want + n, sizeof want - n, "\xc3\xa9");
	snprintf(want + n, sizeof want - n, "...");
	char *s = render(line, false);
	CHECK_STR(s, want);
	free(s);
}

TEST(numbers_and_missing_fields)
{
	char *s = render("{\"rule\":\"r\",\"key_field\":\"port\",\"key\":443,"
	                 "\"window_end\":\"late\"}", false);
	CHECK_STR(s, "- -        r port=443  ");
	free(s);
	s = render("[1,2]", false);
	CHECK_STR(s, "(unreadable alert)");
	free(s);
}

TEST(colour_policy)
{
	CHECK(ntf_text_colour_ok(true, "xterm-256color", NULL));
	CHECK(ntf_text_colour_ok(true, "xterm", ""));
	CHECK(!ntf_text_colour_ok(true, "xterm", "1"));
	CHECK(!ntf_text_colour_ok(true, "dumb", NULL));
	CHECK(!ntf_text_colour_ok(true, NULL, NULL));
	CHECK(!ntf_text_colour_ok(false, "xterm", NULL));
}

int main(void)
{
	RUN(plain_line);
	RUN(colour_wraps_the_severity_only);
	RUN(controls_cannot_reach_the_terminal);
	RUN(long_message_is_cut);
	RUN(numbers_and_missing_fields);
	RUN(colour_policy);
	return t_done();
}
