/* defrules.c - the built-in rules: detect/rules.json, compiled in.  The
 * JSON file is the source of truth; the build turns it into rules_json.h. */
#include "rules.h"

#include "rules_json.h"
