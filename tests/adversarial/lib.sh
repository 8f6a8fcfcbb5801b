# lib.sh: shared by the adversarial tests (sourced, bash). Everything of tests/lmod/lib.sh (a
# clean HOME, the module tree over Debian's MPICH and Open MPI, `mod`, expect_*), plus:
#   hostile_names          the env names every test tries: shell syntax, newlines, terminal
#                          escape sequences, bidi overrides, C1 controls, invalid UTF-8, ...
#   quick_venv DIR         a venv made by hand (what `python3 -m venv --system-site-packages`
#                          writes: pyvenv.cfg, bin/python), in milliseconds instead of a second
#   no_control FILE WHAT   passes when FILE holds no control byte but newlines
#   as_user CMD...         runs CMD as the unprivileged user `nobody` (setpriv) when root
. "$(dirname "${BASH_SOURCE[0]}")/../lmod/lib.sh"

hostile_names=(
    'x;touch PWNED;y'
    '$(touch PWNED)'
    '`touch PWNED`'
    'a|touch PWNED'
    'a&&touch PWNED'
    "it's"
    'say "hi"'
    'back\slash'
    $'tab\there'
    $'\e]0;owned\a'
    $'\e[2J\e[H'
    $'\e[31mred\e[0m'
    $'fake\rline'
    $'ring\a\b'
    $'csi\xc2\x9b31m'
    $'rtl\xe2\x80\xaetxt'
    $'bad\xff\xfeutf8'
    'caf'$'\xc3\xa9'
    '%s%n%x'
    '${IFS}*?[a]'
    '-rf'
    '!!'
    '~root'
    ' lead space'
)

quick_venv() {
    local p=$1
    mkdir -p "$p/bin" "$p/lib/python3.11/site-packages"
    printf 'home = /usr/bin\ninclude-system-site-packages = true\nversion = 3.11.2\n' > "$p/pyvenv.cfg"
    ln -sf /usr/bin/python3 "$p/bin/python"
    ln -sf python "$p/bin/python3"
}

no_control() {
    if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"; then
        fail "$2: control bytes reached the terminal: $(LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]' "$1" | head -3 | cat -v)"
    else
        pass "$2"
    fi
}

as_user() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}
