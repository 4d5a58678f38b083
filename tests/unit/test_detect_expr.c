/* test_detect_expr.c - the rule expression language: precedence,
 * associativity, numbers, fields, division by zero, every error message. */
#include <math.h>
#include <stdlib.h>
#include "t.h"
#include "expr.h"

/* Evaluate src with fields a=2, b=0, c=10, count=100. */
static int ev(const char *src)
{
	struct sym_table syms = { 0 };
	struct expr e;
	struct expr_err err;
	double v[16];
	int r;

	if (expr_compile(&e, src, &syms, &err) < 0) {
		printf("  compile \"%s\": %s\n", src, err.msg);
		sym_free(&syms);
		return -1;
	}
	for (int i = 0; i < syms.n; i++) {
		const char *n = syms.names[i];
		v[i] = !strcmp(n, "a") ? 2 : !strcmp(n, "b") ? 0 : !strcmp(n, "c") ? 10 :
		       !strcmp(n, "count") ? 100 : NAN;
	}
	r = (int)expr_eval(&e, v);
	expr_free(&e);
	sym_free(&syms);
	return r;
}

static const char *err_of(const char *src)
{
	static struct expr_err err;
	struct sym_table syms = { 0 };
	struct expr e;

	if (expr_compile(&e, src, &syms, &err) == 0) {
		expr_free(&e);
		sym_free(&syms);
		return "(compiled)";
	}
	sym_free(&syms);
	return err.msg;
}

TEST(precedence)
{
	CHECK_INT(ev("1 + 2 * 3 == 7"), EXPR_TRUE);
	CHECK_INT(ev("2 * 3 + 1 == 7"), EXPR_TRUE);
	CHECK_INT(ev("(1 + 2) * 3 == 9"), EXPR_TRUE);
	CHECK_INT(ev("1 + 2 < 4 == 1"), EXPR_TRUE);   /* (3 < 4) == 1 */
	CHECK_INT(ev("1 || 0 && 0"), EXPR_TRUE);      /* && binds tighter */
	CHECK_INT(ev("(1 || 0) && 0"), EXPR_FALSE);
	CHECK_INT(ev("!1 == 0"), EXPR_TRUE);          /* (!1) == 0 */
	CHECK_INT(ev("!(1 == 0)"), EXPR_TRUE);
	CHECK_INT(ev("-2 * -3 == 6"), EXPR_TRUE);
	CHECK_INT(ev("- a * 3 == -6"), EXPR_TRUE);
	CHECK_INT(ev("a * c - 1 > count / 10 && !b"), EXPR_TRUE);
	CHECK_INT(ev("1 < 2 != 0"), EXPR_TRUE);
}

TEST(associativity)
{
	CHECK_INT(ev("8 - 3 - 2 == 3"), EXPR_TRUE);
	CHECK_INT(ev("16 / 4 / 2 == 2"), EXPR_TRUE);
	CHECK_INT(ev("2 - 3 + 4 == 3"), EXPR_TRUE);
	CHECK_INT(ev("3 > 2 > 1"), EXPR_FALSE);       /* (1) > 1 */
}

TEST(numbers)
{
	CHECK_INT(ev("5e7 == 50000000"), EXPR_TRUE);
	CHECK_INT(ev("1.5E+3 == 1500"), EXPR_TRUE);
	CHECK_INT(ev("2.5e-1 == 0.25"), EXPR_TRUE);
	CHECK_INT(ev(".5 == 0.5"), EXPR_TRUE);
	CHECK_INT(ev("0"), EXPR_FALSE);
	CHECK_INT(ev("0.001"), EXPR_TRUE);
}

TEST(unicode_operators)
{
	CHECK_INT(ev("a \xc3\x97 c == 20"), EXPR_TRUE);        /* × */
	CHECK_INT(ev("c \xc3\xb7 a == 5"), EXPR_TRUE);         /* ÷ */
	CHECK_INT(ev("c \xe2\x88\x92 a == 8"), EXPR_TRUE);     /* − */
	CHECK_INT(ev("a \xe2\x89\xa4 c"), EXPR_TRUE);          /* ≤ */
	CHECK_INT(ev("a \xe2\x89\xa0 c"), EXPR_TRUE);          /* ≠ */
}

TEST(division_by_zero)
{
	CHECK_INT(ev("a / b > 1"), EXPR_DIVZERO);
	CHECK_INT(ev("c / (a - 2) < 1"), EXPR_DIVZERO);
	CHECK_INT(ev("b > 0 && a / b > 1"), EXPR_FALSE);    /* short circuit */
	CHECK_INT(ev("b == 0 || a / b > 1"), EXPR_TRUE);
	CHECK_INT(ev("0 / a == 0"), EXPR_TRUE);
}

TEST(fields_and_threshold)
{
	struct sym_table syms = { 0 };
	struct expr e;
	struct expr_err err;
	double thr = 0;

	CHECK_INT(expr_compile(&e, "rst_count / count > 0.5 && count >= 100 && rst_count > 1",
	                       &syms, &err), 0);
	CHECK_INT(e.nfields, 2);
	CHECK_STR(syms.names[e.fields[0]], "rst_count");
	CHECK_STR(syms.names[e.fields[1]], "count");
	CHECK(expr_threshold(&e, &thr));
	CHECK(thr == 0.5);
	expr_free(&e);
	CHECK_INT(expr_compile(&e, "5e7 < sum_bytes_sent", &syms, &err), 0);
	CHECK(expr_threshold(&e, &thr) && thr == 5e7);
	expr_free(&e);
	CHECK_INT(expr_compile(&e, "count > -3", &syms, &err), 0);
	CHECK(expr_threshold(&e, &thr) && thr == -3);
	expr_free(&e);
	CHECK_INT(expr_compile(&e, "a > b", &syms, &err), 0);
	CHECK(!expr_threshold(&e, &thr));
	expr_free(&e);
	sym_free(&syms);
}

/* "FIELD in @SET" compiles to a leaf bound to a pseudo-symbol whose value
 * the caller supplies; the field is interned but need not be a number. */
TEST(set_tests)
{
	struct sym_table syms = { 0 };
	struct expr e;
	struct expr_err err;
	double v[16] = { 0 };

	CHECK_INT(expr_compile(&e, "count > 5 && !(src_ip in @trusted) || key in @b",
	                       &syms, &err), 0);
	CHECK_INT(e.nfields, 1);                /* count only */
	CHECK_INT(e.nins, 2);
	CHECK_STR(syms.names[e.ins[0].field], "src_ip");
	CHECK_INT((int)e.ins[0].setlen, 7);
	CHECK(memcmp(e.ins[0].set, "trusted", 7) == 0);
	CHECK_INT(e.ins[0].col, 26);
	CHECK_INT((int)syms.lens[e.ins[0].sym], 15);   /* "src_ip\0@trusted" */
	CHECK(memcmp(syms.names[e.ins[0].sym], "src_ip\0@trusted", 15) == 0);
	CHECK_STR(syms.names[e.ins[1].field], "key");
	v[e.fields[0]] = 10;
	v[e.ins[0].sym] = 0, v[e.ins[1].sym] = 0;
	CHECK_INT(expr_eval(&e, v), EXPR_TRUE);
	v[e.ins[0].sym] = 1;
	CHECK_INT(expr_eval(&e, v), EXPR_FALSE);
	v[e.ins[1].sym] = 1;
	CHECK_INT(expr_eval(&e, v), EXPR_TRUE);
	expr_free(&e);

	/* the same test twice is one entry; '!' binds to the whole test */
	CHECK_INT(expr_compile(&e, "!key in @s && key in @s", &syms, &err), 0);
	CHECK_INT(e.nins, 1);
	v[e.ins[0].sym] = 1;
	CHECK_INT(expr_eval(&e, v), EXPR_FALSE);
	CHECK_INT(e.n[e.root].op, EX_AND);
	CHECK_INT(e.n[e.n[e.root].a].op, EX_NOT);
	expr_free(&e);

	/* "in" is still a field name where no set test can be */
	CHECK_INT(expr_compile(&e, "in > 5", &syms, &err), 0);
	CHECK_INT(e.nfields, 1);
	CHECK_INT(e.nins, 0);
	expr_free(&e);
	sym_free(&syms);

	CHECK_STR(err_of("key in trusted"), "column 8: expected a set after 'in' "
	          "(@name), found 'trusted'");
	CHECK_STR(err_of("key in"), "column 7: expected a set after 'in' (@name), "
	          "found end of expression");
	CHECK_STR(err_of("key in @"), "column 8: expected a set name after '@'");
	CHECK_STR(err_of("key in @1x"), "column 8: expected a set name after '@'");
	CHECK_STR(err_of("3 in @s"), "column 3: expected an operator or the end of "
	          "the expression, found 'in'");
	CHECK_STR(err_of("@s"), "column 1: expected a field, a number, '(', '-' or "
	          "'!', found '@s'");
	CHECK_STR(err_of("key in @s @t"), "column 11: expected an operator or the "
	          "end of the expression, found '@t'");
}

/* A threshold literal made a parameter evaluates to what the caller sets,
 * and is still the threshold. */
TEST(threshold_param)
{
	struct sym_table syms = { 0 };
	struct expr e;
	struct expr_err err;
	double v[4] = { 0 }, thr = 0;
	int node, k;

	CHECK_INT(expr_compile(&e, "count >= 2 && sum_bytes_sent > 50000000",
	                       &syms, &err), 0);
	node = expr_threshold_node(&e);
	CHECK(node >= 0 && e.n[node].num == 2);
	k = expr_param(&e, node);
	CHECK_INT(k, 0);
	CHECK_INT(expr_param(&e, node), 0);     /* once */
	CHECK(expr_threshold(&e, &thr) && thr == 2);
	v[e.fields[0]] = 3, v[e.fields[1]] = 6e7;
	CHECK_INT(expr_eval(&e, v), EXPR_TRUE);
	e.param[k] = 4;
	CHECK_INT(expr_eval(&e, v), EXPR_FALSE);
	e.param[k] = 3;
	CHECK_INT(expr_eval(&e, v), EXPR_TRUE);
	expr_free(&e);
	sym_free(&syms);
}

TEST(error_messages)
{
	CHECK_STR(err_of(""), "column 1: expected a field, a number, '(', '-' or '!', "
	          "found end of expression");
	CHECK_STR(err_of("count >"), "column 8: expected a field, a number, '(', '-' "
	          "or '!', found end of expression");
	CHECK_STR(err_of("count > * 2"), "column 9: expected a field, a number, '(', "
	          "'-' or '!', found '*'");
	CHECK_STR(err_of("count > 5 )"), "column 11: expected an operator or the end "
	          "of the expression, found ')'");
	CHECK_STR(err_of("count > 5 5"), "column 11: expected an operator or the end "
	          "of the expression, found '5'");
	CHECK_STR(err_of("(count > 5"), "column 11: expected ')' to close '(' of "
	          "column 1, found end of expression");
	CHECK_STR(err_of("count & 1"), "column 7: expected '&&', found '&'");
	CHECK_STR(err_of("count | 1"), "column 7: expected '||', found '|'");
	CHECK_STR(err_of("count = 1"), "column 7: expected '==' (one '=' is not a "
	          "comparison), found '='");
	CHECK_STR(err_of("count > 1e"), "column 11: expected a digit in the exponent "
	          "of number '1e'");
	CHECK_STR(err_of("count > 1e+"), "column 12: expected a digit in the exponent "
	          "of number '1e+'");
	CHECK_STR(err_of("count > 1."), "column 11: expected a digit after '.' in "
	          "number '1.'");
	CHECK_STR(err_of("count > 5x"), "column 10: expected an operator after number "
	          "'5', found 'x'");
	CHECK_STR(err_of("count > 1e999"), "column 9: number '1e999' out of range");
	CHECK_STR(err_of("count # 1"), "column 7: unexpected character '#'");
	CHECK_STR(err_of("a \xc3\x97 b > \xe2\x9c\x93"),
	          "column 9: unexpected character '\xe2\x9c\x93'");   /* columns count characters */
	CHECK_STR(err_of("a > \x01"), "column 5: unexpected byte 0x01");
	CHECK_STR(err_of("a > \xff"), "column 5: unexpected byte 0xff");
}

TEST(depth_limits)
{
	char buf[2048];
	size_t n = 0;

	for (int i = 0; i < 300; i++)
		buf[n++] = '(';
	buf[n++] = '1';
	for (int i = 0; i < 300; i++)
		buf[n++] = ')';
	buf[n] = '\0';
	CHECK(strstr(err_of(buf), "nested deeper than 200 levels") != NULL);
	n = 0;
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%sa", i ? "+" : "");
	CHECK(strstr(err_of(buf), "nested deeper than 200 levels") != NULL);
	CHECK_INT(ev("a+a+a+a+a+a+a+a+a+a == 20"), EXPR_TRUE);
}

int main(void)
{
	RUN(precedence);
	RUN(associativity);
	RUN(numbers);
	RUN(unicode_operators);
	RUN(division_by_zero);
	RUN(fields_and_threshold);
	RUN(error_messages);
	RUN(depth_limits);
	RUN(set_tests);
	RUN(threshold_param);
	return t_done();
}
