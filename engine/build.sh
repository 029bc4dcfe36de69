#!/usr/bin/env bash
# Builds the Pulumi engine with `go build`: the CLI, the Node.js language host, and the command and postgresql
# providers, each at the release this project's npm packages use (@pulumi/pulumi 3.248, @pulumi/command 1.2.1,
# @pulumi/postgresql 3.18.1). engine/targets.tsv lists them, one row a binary:
#   - `pulumi` comes from the Go module proxy, pinned by engine/go.mod and go.sum;
#   - the other three come from their upstream release sources in engine/third_party/ (the proxy refuses those
#     modules, but serves everything they import); each archive is checked against its sha256 first, then built
#     as upstream's own Makefile builds it (engine/third_party/README.md).
#
#   bash engine/build.sh             build what is missing from the cache, print the time it took and a status
#   bash engine/build.sh --bin-dir   print the cache's bin directory and exit (no build, no network)
#
# Each binary is cached in ${RAPTOR_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raptor-engine}/built/<name>-<key>,
# where <key> hashes its row of targets.tsv (source, sha256, version flag), RECIPE below and the pinning files it
# builds with: a change to any of them builds that binary again, anything else reuses it. The binaries of the
# current keys are linked into <root>/<key of all rows>/bin. Put that first on PATH and the engine uses them as
# ambient plugins (pulumi-language-nodejs, pulumi-resource-*), whatever version the program asks for.
# <root>/<key>/status.tsv says per binary "built", "installed" or "failed", where from, and the seconds its build
# from an empty cache took (kept beside the binary as <name>-<key>.seconds); the engine tests and `npm run bench`
# read it.
#
# Before building a binary from source, it uses one already installed where Pulumi installs it, when that is the
# pinned release (the -X version flag's value in targets.tsv), checked by its own version output where it has one:
#   pulumi                      the `pulumi` on PATH, `pulumi version`
#   pulumi-language-nodejs      beside that pulumi (as the CLI's installer puts it), `pulumi-language-nodejs -version`
#   pulumi-resource-command     ${PULUMI_HOME:-~/.pulumi}/plugins/resource-command-v1.2.1/ (the directory name is
#                               its version: this provider prints none), not a partial install (<dir>.partial)
#   pulumi-resource-postgresql  .../plugins/resource-postgresql-v3.18.1/, and `pulumi-resource-postgresql --version`
# (plugin layout: pulumi sdk/go/common/workspace/plugins.go, PluginDescriptor.Dir and File). It is symlinked into
# the bin directory and reported "installed: PATH"; any other version is ignored with a line saying so.
# RAPTOR_ENGINE_FROM_SOURCE=1 builds all four from source: what CI caches must not point outside the cache.
# Go is needed only when something is built.
#
# Exit status: 0 when all four binaries are there; 1 otherwise (a missing or altered archive, a failed build).
set -euo pipefail

# Bump when a build step below changes in a way the rows and pinning files do not show.
RECIPE=2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rows=$(grep -v "^#" "$here/targets.tsv" | grep .)

# The files a target's build is pinned by, besides its row.
pin_files() {
    case $1 in
        pulumi) echo "$here/go.mod $here/go.sum" ;;
        pulumi-language-nodejs) echo "$here/langhost/go.mod $here/langhost/go.sum" ;;
        *) echo "" ;;
    esac
}
target_key() {
    local row
    row=$(grep -P "^$1\t" <<<"$rows")
    # shellcheck disable=SC2046 # pin_files prints a list of paths
    (printf '%s\n%s\n' "$RECIPE" "$row"; cat /dev/null $(pin_files "$1")) | sha256sum | cut -c1-16
}
key=$(while IFS=$'\t' read -r name _; do target_key "$name"; done <<<"$rows" | sha256sum | cut -c1-16)
root=${RAPTOR_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/raptor-engine}
cache=$root/$key

if [[ ${1:-} == --bin-dir ]]; then
    echo "$cache/bin"
    exit 0
fi
mkdir -p "$cache/bin" "$root/built" "$root/src"
exec 9>"$root/.lock"
flock 9 # two runs at once would build the same binaries twice on 2 cores

# VERSION's first line, blanks removed; empty when BINARY does not answer within 10 s.
version_of() {
    timeout 10 "$@" </dev/null 2>/dev/null | head -n 1 | tr -d '[:space:]' || true
}

# Prints the path of NAME installed at the pinned release WANT (v3.248.0, 1.2.1, 3.18.1) where Pulumi installs it;
# returns 1 when there is none, saying on stderr why an installed copy is ignored.
installed() {
    local name=$1 want=${2#v} path have cli plugins=${PULUMI_HOME:-$HOME/.pulumi}/plugins dir other
    case $name in
        pulumi)
            path=$(command -v pulumi) || return 1
            have=$(PULUMI_SKIP_UPDATE_CHECK=true version_of "$path" version)
            ;;
        pulumi-language-nodejs)
            cli=$(command -v pulumi) || return 1
            path=$(dirname "$cli")/$name
            [[ -x $path ]] || path=$(dirname "$(realpath "$cli")")/$name
            [[ -x $path ]] || return 1
            have=$(version_of "$path" -version)
            ;;
        pulumi-resource-*)
            dir=$plugins/resource-${name#pulumi-resource-}-v$want
            path=$dir/$name
            if [[ ! -x $path ]]; then
                for other in "$plugins/resource-${name#pulumi-resource-}-v"*; do
                    [[ -d $other && $other != "$dir" ]] &&
                        echo "engine: $name: ignoring $other: not the pinned v$want" >&2
                done
                return 1
            fi
            if [[ -e $dir.partial ]]; then
                echo "engine: $name: ignoring $dir: a partial install ($dir.partial is there)" >&2
                return 1
            fi
            have=$want
            [[ $name == pulumi-resource-command ]] || have=$(version_of "$path" --version)
            ;;
        *) return 1 ;;
    esac
    if [[ ${have#v} != "$want" ]]; then
        echo "engine: $name: ignoring $path: it says ${have:-no version}, not the pinned v$want" >&2
        return 1
    fi
    # The cache's own links (its bin directory on PATH) are not an installation.
    [[ $(realpath "$path") != "$(realpath "$root")"/* ]] || return 1
    echo "$path"
}

# Unpacks ARCHIVE (checked against SHA256) into DEST; a missing or altered archive names the file and the hash.
unpack() {
    local archive=$here/third_party/$1 sha=$2 dest=$3 actual
    if [[ ! -f $archive ]]; then
        echo "engine: $archive is missing; it must be the upstream release archive with sha256 $sha" \
            "(engine/third_party/README.md says where it comes from)" >&2
        return 1
    fi
    actual=$(sha256sum "$archive" | cut -d' ' -f1)
    if [[ $actual != "$sha" ]]; then
        echo "engine: $archive has sha256 $actual, expected $sha: it is not the release archive" \
            "engine/third_party/README.md names; restore it with git checkout -- engine/third_party" >&2
        return 1
    fi
    rm -rf "$dest" && mkdir -p "$dest"
    tar -xzf "$archive" -C "$dest" --strip-components=1
}

# The steps upstream's build runs before `go build`, per target, in the unpacked source tree SRC.
prepare() {
    local name=$1 src=$2 mod
    case $name in
        pulumi-language-nodejs)
            # In the monorepo the host replaces pkg/v3 and sdk/v3 with sibling folders; here they are the
            # proxy's v3.248.0 modules: engine/langhost/go.mod is the archive's with those two replace lines dropped
            # and both required at v3.248.0, plus the four indirect versions Go's selection then raises; go.sum
            # adds their hashes (engine/third_party/README.md).
            cp "$here/langhost/go.mod" "$here/langhost/go.sum" "$src/sdk/nodejs/cmd/pulumi-language-nodejs/"
            ;;
        pulumi-resource-postgresql)
            # upstream/ is a git submodule upstream (terraform-provider-postgresql ff936b95, the proxy's v1.27.0),
            # with pulumi's patches applied by its Makefile; schema-embed.json is what its `go generate` writes.
            mod=$(cd "$src" && GOFLAGS=-mod=mod go mod download -json \
                github.com/cyrilgdn/terraform-provider-postgresql@v1.27.0 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
            [[ -d $mod ]] || { echo "engine: go mod download gave no directory for the upstream provider" >&2; return 1; }
            cp -r "$mod" "$src/upstream" && chmod -R u+w "$src/upstream"
            (cd "$src/upstream" && for p in ../patches/*.patch; do patch -s -p1 <"$p"; done)
            (cd "$src/provider/cmd/pulumi-resource-postgresql" &&
                node -e 'const fs = require("fs"); const s = JSON.parse(fs.readFileSync("schema.json", "utf8"));
                    s.version = process.argv[1]; fs.writeFileSync("schema-embed.json", JSON.stringify(s));' "$3")
            ;;
    esac
}

started=$(date +%s)
status=$cache/status.tsv.new
: >"$status"
failed=0
while IFS=$'\t' read -r name source sha dir package ldflag _release; do
    [[ -z $name || $name == \#* ]] && continue
    built=$root/built/$name-$(target_key "$name")
    if [[ -x $built ]]; then
        ln -f "$built" "$cache/bin/$name"
        echo "engine: $name from the cache"
        printf '%s\tbuilt\tcached\t%s\n' "$name" "$(cat "$built.seconds" 2>/dev/null || echo -)" >>"$status"
        continue
    fi
    if [[ ${RAPTOR_ENGINE_FROM_SOURCE:-} != 1 ]] && found=$(installed "$name" "${ldflag##*=}"); then
        ln -sfn "$found" "$cache/bin/$name"
        echo "engine: $name installed: $found"
        printf '%s\tinstalled\t%s\t-\n' "$name" "$found" >>"$status"
        continue
    fi
    if ! command -v go >/dev/null; then
        echo "engine: go is not on PATH; building $name from source needs Go >= 1.26" >&2
        printf '%s\tfailed\tgo is not on PATH\t-\n' "$name" >>"$status"
        failed=1
        continue
    fi
    t0=$(date +%s)
    src=$root/src/$name
    ok=1
    if [[ $source == module:* ]]; then
        src=$here/${source#module:}
    else
        unpack "$source" "$sha" "$src" && prepare "$name" "$src" "${ldflag##*=}" || ok=0
    fi
    # -mod=readonly: the build uses exactly the go.sum it was given; resolving is a developer's step.
    if ((ok)) && (cd "$src/$dir" && GOFLAGS="-mod=readonly -buildvcs=false" nice -n 10 go build -trimpath \
            -ldflags "-s -w -X $ldflag" -o "$built.tmp" "$package"); then
        echo $(($(date +%s) - t0)) >"$built.seconds"
        mv "$built.tmp" "$built"
        ln -f "$built" "$cache/bin/$name"
        [[ $source == module:* ]] || rm -rf "$src"
        echo "engine: built $name from $source in $(cat "$built.seconds") s"
        printf '%s\tbuilt\t%s\t%s\n' "$name" "$source" "$(cat "$built.seconds")" >>"$status"
    else
        echo "engine: FAILED to build $name from $source" >&2
        printf '%s\tfailed\t%s\t-\n' "$name" "$source" >>"$status"
        failed=1
    fi
done <"$here/targets.tsv"

mv "$status" "$cache/status.tsv"
echo "engine: $(grep -cE $'\t(built|installed)\t' "$cache/status.tsv") of $(grep -c . "$cache/status.tsv")" \
    "binaries ($(grep -c $'\tinstalled\t' "$cache/status.tsv") installed) in $cache/bin" \
    "after $(($(date +%s) - started)) s"
exit "$failed"
