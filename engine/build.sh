#!/usr/bin/env bash
# Builds the Pulumi engine (the CLI, the Node.js language host, the command and postgresql providers) with
# `go build` from Pulumi's published Go modules, listed in targets.tsv and pinned by this folder's go.mod/go.sum.
#
#   bash engine/build.sh             build what is missing from the cache, print the time it took and a status
#   bash engine/build.sh --bin-dir   print the cache's bin directory and exit (no build, no network)
#
# The cache is ${RAPTOR_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raptor-engine}/<key>, where <key> hashes
# go.mod, go.sum and targets.tsv's rows (versions and -ldflags; not its comments): a change to any of them builds
# again, anything else reuses it. Put <cache>/bin first on PATH and the engine uses the binaries there as
# ambient plugins (pulumi-language-nodejs, pulumi-resource-*), whatever version the program asks for.
# <cache>/status.tsv says, per binary, "built" or "refused" and why; tests read it.
#
# A target whose module go.mod does not require is one the Go module proxy refused: it is asked for again
# (go mod download) and its answer is printed with the module and version tried; the rest still build.
# Exit status: 0 when every target either built or was refused by the proxy; 1 when a build failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
key=$( (cat "$here/go.mod" "$here/go.sum"; grep -v "^#" "$here/targets.tsv") | sha256sum | cut -c1-16)
root=${RAPTOR_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raptor-engine}
cache=$root/$key

if [[ ${1:-} == --bin-dir ]]; then
    echo "$cache/bin"
    exit 0
fi
command -v go >/dev/null || { echo "engine: go is not on PATH; the engine is built with Go >= 1.25" >&2; exit 1; }

mkdir -p "$cache/bin"
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

while IFS=$'\t' read -r name module version package ldflag release; do
    [[ -z $name || $name == \#* ]] && continue
    if [[ -x $cache/bin/$name ]]; then
        echo "engine: $name from the cache"
        printf '%s\tbuilt\tcached\n' "$name" >>"$status"
        continue
    fi
    if ! grep -qE "^[[:space:]]*(require[[:space:]]+)?$module $version( |$)" "$here/go.mod"; then
        answer=$(probe "$module" "$version")
        if [[ -n $answer ]]; then
            echo "engine: REFUSED $name: the Go module proxy refused $module@$version ($release): $answer" >&2
            printf '%s\trefused\t%s\n' "$name" "$answer" >>"$status"
        else
            echo "engine: $name: the proxy now serves $module@$version; add it to engine/go.mod" \
                "(GOFLAGS=-mod=mod go get $module@$version) to build it" >&2
            printf '%s\trefused\tnot in engine/go.mod (served since)\n' "$name" >>"$status"
        fi
        continue
    fi
    t0=$(date +%s)
    # -mod=readonly: the build uses exactly go.sum; resolving (GOFLAGS=-mod=mod) is a developer's step.
    if (cd "$here" && GOFLAGS=-mod=readonly nice -n 10 go build -trimpath -ldflags "-s -w -X $ldflag" \
            -o "$cache/bin/$name.tmp" "$package"); then
        mv "$cache/bin/$name.tmp" "$cache/bin/$name"
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
