/* step_verdict.h: the decision on one job step, taken in slurmstepd (root) from the site
 * policy it read itself and from what the unprivileged checker found: exemptions, the action
 * of each finding, the verdict that refuses a step, the text the user sees, the syslog lines.
 * The checker never sees the site policy, and nothing it says can change it: a user's own
 * policy counts only where the site's says user_override = yes. */
#ifndef MPG_STEP_VERDICT_H
#define MPG_STEP_VERDICT_H

#include "step_check.h"
#include "step_protocol.h"

/* Decides for step s from sr (whose report it changes: the policy drops and re-grades its
 * findings) and fills out's verdict, codes and text. Logs each finding from the first node. */
void mpg_step_decide(const struct mpg_core *core, const struct mpg_site_policy *site, const struct mpg_step *s,
                     struct mpg_step_report *sr, struct mpg_step_result *out);

#endif
