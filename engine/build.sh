#!/usr/bin/env bash
# Builds the Pulumi engine (the CLI, the Node.js language host, the command and postgresql providers) with
# `go build` from Pulumi's published Go modules, listed in targets.tsv and pinned by the go.mod/go.sum of the
# folder each row names (`.` = this folder; `nodejs-host` = a module of its own, since the language host comes
# from an older pulumi sdk/v3 that cannot share a build list with the CLI's).
#
#   bash engine/build.sh             build what is missing from the cache, print the time it took and a status
#   bash engine/build.sh --bin-dir   print the cache's bin directory and exit (no build, no network)
#
# Each binary is cached in ${RAPTOR_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raptor-engine}/built/<name>-<key>,
# where <key> hashes its row of targets.tsv (version, -ldflags) and its folder's go.mod and go.sum: a change to
# them builds that binary again, anything else reuses it. The binaries of the current keys are linked into
# <root>/<key of all rows>/bin. Put that first on PATH and the engine uses them as ambient plugins
# (pulumi-language-nodejs, pulumi-resource-*), whatever version the program asks for.
# <root>/<key>/status.tsv says, per binary, "built" or "refused" and why; tests read it.
#
# A target whose module go.mod does not require is one the Go module proxy refused: it is asked for again
# (go mod download) and its answer is printed with the module and version tried; the rest still build.
# Exit status: 0 when every target either built or was refused by the proxy; 1 when a build failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The key of one targets.tsv row: the row and its folder's go.mod and go.sum.
target_key() {
    (printf '%s\n' "$1"; cat "$here/$2/go.mod" "$here/$2/go.sum") | sha256sum | cut -c1-16
}
rows=$(grep -v "^#" "$here/targets.tsv" | grep .)
key=$(while IFS=$'\t' read -r name dir _; do target_key "$(grep -P "^$name\t" <<<"$rows")" "$dir"; done <<<"$rows" |
    sha256sum | cut -c1-16)
root=${RAPTOR_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raptor-engine}
cache=$root/$key

if [[ ${1:-} == --bin-dir ]]; then
    echo "$cache/bin"
    exit 0
fi
command -v go >/dev/null || { echo "engine: go is not on PATH; the engine is built with Go >= 1.25" >&2; exit 1; }

mkdir -p "$cache/bin" "$root/built"
exec 9>"$root/.lock"
flock 9   # two runs at once would build the same binaries twice on 2 cores

started=$(date +%s)
status=$cache/status.tsv.new
: >"$status"
failed=0

# Asks the proxy for MODULE@VERSION; prints its answer (empty when the module was served).
probe() {
    local tmp out
    tmp=$(mktemp -d)
    out=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1@$2" 2>&1 || true)
    rm -rf "$tmp"
    printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' | sed 's/\\[nt]/ /g' | head -1
}

while IFS=$'\t' read -r name dir module version package ldflag release; do
    [[ -z $name || $name == \#* ]] && continue
    built=$root/built/$name-$(target_key "$(grep -P "^$name\t" <<<"$rows")" "$dir")
    if [[ -x $built ]]; then
        ln -f "$built" "$cache/bin/$name"
        echo "engine: $name from the cache"
        printf '%s\tbuilt\tcached\n' "$name" >>"$status"
        continue
    fi
    if ! grep -qE "^[[:space:]]*(require[[:space:]]+)?$module $version( |$)" "$here/$dir/go.mod"; then
        answer=$(probe "$module" "$version")
        if [[ -n $answer ]]; then
            echo "engine: REFUSED $name: the Go module proxy refused $module@$version ($release): $answer" >&2
            printf '%s\trefused\t%s\n' "$name" "$answer" >>"$status"
        else
            echo "engine: $name: the proxy now serves $module@$version; add it to engine/$dir/go.mod" \
                "(GOFLAGS=-mod=mod go get $module@$version) to build it" >&2
            printf '%s\trefused\tnot in engine/%s/go.mod (served since)\n' "$name" "$dir" >>"$status"
        fi
        continue
    fi
    t0=$(date +%s)
    # -mod=readonly: the build uses exactly go.sum; resolving (GOFLAGS=-mod=mod) is a developer's step.
    if (cd "$here/$dir" && GOFLAGS=-mod=readonly nice -n 10 go build -trimpath -ldflags "-s -w -X $ldflag" \
            -o "$built.tmp" "$package"); then
        mv "$built.tmp" "$built"
        ln -f "$built" "$cache/bin/$name"
        echo "engine: built $name from $module@$version in $(($(date +%s) - t0)) s"
        printf '%s\tbuilt\t%s@%s\n' "$name" "$module" "$version" >>"$status"
    else
        echo "engine: FAILED to build $name from $module@$version" >&2
        printf '%s\tfailed\t%s@%s\n' "$name" "$module" "$version" >>"$status"
        failed=1
    fi
done <"$here/targets.tsv"

mv "$status" "$cache/status.tsv"
echo "engine: $(grep -c $'\tbuilt\t' "$cache/status.tsv") of $(grep -c . "$cache/status.tsv") binaries" \
    "in $cache/bin after $(($(date +%s) - started)) s"
exit "$failed"
