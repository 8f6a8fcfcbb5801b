# Spack recipe for mpiguard, written against Spack 1.x's packaging guide (AutotoolsPackage).
# Use it from this folder's repository: `spack repo add contrib/spack`, then
#   spack install mpiguard@0.1.0 +lmod +verbs policy_file=/etc/mpiguard/policy.conf
# with the release tarball (`make dist`) where `url` points, or in a Spack mirror; put its
# sha256 on the version line (`sha256sum mpiguard-0.1.0.tar.gz`).
from spack_repo.builtin.build_systems.autotools import AutotoolsPackage

from spack.package import *


class Mpiguard(AutotoolsPackage):
    """Tells HPC users, on `module load` and at job launch, when their conda env or Python
    venv will not use the loaded MPI module's libmpi, why that matters, and the command that
    fixes it; `mpiguard report` counts what it found across a site's users."""

    # Where the site keeps the release tarball (`make dist`); there is no public release yet.
    url = "file:///opt/src/mpiguard/mpiguard-0.1.0.tar.gz"

    license("LicenseRef-mpiguard-not-yet-chosen")

    version("0.1.0")

    variant("lmod", default=True, description="Build the Lmod hooks and their Lua binding")
    variant("verbs", default=True, description="Build test-mpi's RDMA verbs plug-in (libibverbs)")
    variant(
        "policy_file",
        default="/etc/mpiguard/policy.conf",
        values=lambda x: x.startswith("/"),
        multi=False,
        description="The site policy file (outside the install prefix: it is the site's)",
    )

    depends_on("c", type="build")
    depends_on("pkgconfig", type="build")
    depends_on("jansson@2.10:")
    # The binding is built for, and loaded by, the Lua that runs Lmod: Lmod's own Lua.
    depends_on("lua", when="+lmod")
    depends_on("lmod", type="run", when="+lmod")
    depends_on("rdma-core", when="+verbs")

    def configure_args(self):
        spec = self.spec
        args = [f"--with-policy-file={spec.variants['policy_file'].value}", "--disable-werror"]
        args += self.with_or_without("ibverbs", variant="verbs")
        if spec.satisfies("+lmod"):
            lua = spec["lua"]
            args.append(f"--with-lua={lua.version.up_to(2)}")
            args.append(f"LUA_INCLUDE=-I{lua.prefix.include}")
        else:
            args.append("--without-lua")
        return args
