/* builtin.c - the built-in patterns: normalize/patterns.json, compiled in.
 * The JSON file is the source of truth; the build turns it into
 * patterns_json.h (normalize --print-builtin prints it). */
#include "nz.h"

#include "patterns_json.h"
