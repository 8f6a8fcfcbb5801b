-- Reference modulefile: Debian 12's Open MPI 4.1.4 as a site MPI module.
-- The install prefix is a symlink tree made by mkdebian.sh next to the modulefiles folder:
-- <base>/modulefiles/debian/openmpi/4.1.4.lua -> <base>/debian-mpi/openmpi.
-- What mpiguard relies on: family("MPI") and MPI_HOME (with bin/mpicc under it).
help([[Open MPI 4.1.4 from Debian 12 (packages openmpi-bin, libopenmpi3).]])
whatis("Name: Open MPI")
whatis("Version: 4.1.4")
whatis("Category: MPI")

local base = myFileName():match("^(.*)/modulefiles/") or "/usr/local/share/mpiguard"
local root = pathJoin(base, "debian-mpi", "openmpi")

family("MPI")
setenv("MPI_HOME", root)
prepend_path("PATH", pathJoin(root, "bin"))
prepend_path("LD_LIBRARY_PATH", pathJoin(root, "lib"))
prepend_path("MANPATH", pathJoin(root, "share", "man"))
