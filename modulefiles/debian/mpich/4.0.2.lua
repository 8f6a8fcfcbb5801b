-- Reference modulefile: Debian 12's MPICH 4.0.2 (ch4:ucx) as a site MPI module.
-- The install prefix is a symlink tree made by mkdebian.sh next to the modulefiles folder:
-- <base>/modulefiles/debian/mpich/4.0.2.lua -> <base>/debian-mpi/mpich.
-- What mpiguard relies on: family("MPI") and MPI_HOME (with bin/mpicc under it).
help([[MPICH 4.0.2 from Debian 12 (packages mpich, libmpich12), device ch4:ucx.]])
whatis("Name: MPICH")
whatis("Version: 4.0.2")
whatis("Category: MPI")

local base = myFileName():match("^(.*)/modulefiles/") or "/usr/local/share/mpiguard"
local root = pathJoin(base, "debian-mpi", "mpich")

family("MPI")
setenv("MPI_HOME", root)
prepend_path("PATH", pathJoin(root, "bin"))
prepend_path("LD_LIBRARY_PATH", pathJoin(root, "lib"))
prepend_path("MANPATH", pathJoin(root, "share", "man"))
