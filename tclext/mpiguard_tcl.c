/* mpiguard_tcl.c: the Tcl extension Environment Modules' mpiguard.tcl loads, so the check
 * runs inside modulecmd.tcl instead of in a forked `mpiguard module-hook` (which costs a
 * fork of the Tcl process and an exec: bench/envmodules).
 *
 *   load /usr/local/lib/mpiguard/tcl/mpiguard_tcl.so Mpiguard
 *   mpiguard::hook MODULE SOURCE POLICY_FILE ?SET_BY_MODULE?  -> the dict of the check
 *   mpiguard::giveback ?SET_BY_MODULE?   -> MPICC & co. given back (src/modules_hook.c)
 *
 * Built against Tcl's stubs (one build serves every Tcl 8.6 patch release); it embeds the
 * core, so it needs no LD_LIBRARY_PATH. Nothing here writes to stdout or stderr. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>

#include <tcl.h>

#include "modules_hook.h"

#define TCL_API_EXPORT __attribute__((visibility("default")))

/* The dict as the command's result. */
static int dict_result(Tcl_Interp *interp, char *dict)
{
    if (!dict) {
        Tcl_SetObjResult(interp, Tcl_NewStringObj("mpiguard: out of memory", -1));
        return TCL_ERROR;
    }
    /* Decoded as Tcl decodes a child's output (the system encoding), so both paths agree. */
    Tcl_DString ds;
    Tcl_ExternalToUtfDString(NULL, dict, -1, &ds);
    free(dict);
    Tcl_DStringResult(interp, &ds);
    return TCL_OK;
}

/* mpiguard::hook MODULE SOURCE POLICY_FILE ?SET_BY_MODULE?; an empty POLICY_FILE means the
 * configured one; SET_BY_MODULE: the variables a modulefile wrote in this command. */
static int hook_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    (void)cd;
    if (objc != 4 && objc != 5) {
        Tcl_WrongNumArgs(interp, 1, objv, "module source policy_file ?set_by_module?");
        return TCL_ERROR;
    }
    const char *policy = Tcl_GetString(objv[3]);
    return dict_result(interp, mpg_modules_hook_tcl_sync(Tcl_GetString(objv[1]), Tcl_GetString(objv[2]),
                                                         policy[0] ? policy : NULL,
                                                         objc == 5 ? Tcl_GetString(objv[4]) : NULL));
}

/* mpiguard::giveback ?SET_BY_MODULE? */
static int giveback_cmd(ClientData cd, Tcl_Interp *interp, int objc, Tcl_Obj *const objv[])
{
    (void)cd;
    if (objc > 2) {
        Tcl_WrongNumArgs(interp, 1, objv, "?set_by_module?");
        return TCL_ERROR;
    }
    return dict_result(interp, mpg_modules_giveback_tcl(objc == 2 ? Tcl_GetString(objv[1]) : NULL));
}

TCL_API_EXPORT int Mpiguard_Init(Tcl_Interp *interp)
{
    if (!Tcl_InitStubs(interp, "8.6", 0))
        return TCL_ERROR;
    if (!Tcl_CreateObjCommand(interp, "::mpiguard::hook", hook_cmd, NULL, NULL) ||
        !Tcl_CreateObjCommand(interp, "::mpiguard::giveback", giveback_cmd, NULL, NULL))
        return TCL_ERROR;
    return Tcl_PkgProvide(interp, "mpiguard", PACKAGE_VERSION);
}
