/* findings.h: turns what was found (env, module, packages, conda records) into findings with a
 * stable code, a default severity, a message that says what is wrong and why it matters, and the
 * exact commands that fix it. */
#ifndef MPG_FINDINGS_H
#define MPG_FINDINGS_H

#include "envsnap.h"
#include "extensions.h"
#include "mpiguard.h"

void mpg_compute_findings(struct mpg_report *r, const struct mpg_envsnap *env, const struct mpg_ext_scan *ext);
void mpg_add_finding(struct mpg_report *r, const char *code, enum mpg_severity sev, char *message, char *fix,
                     const char *package, const char *path);
void mpg_finding_clear(struct mpg_finding *f);

#endif
