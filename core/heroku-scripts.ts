/**
 * The bash scripts the command resources run. Every value arrives through the
 * environment, never spliced into the script: the script text is stored in
 * state and quoted in error messages, so it must never carry a secret, and a
 * value in an environment variable cannot inject shell syntax.
 */

/**
 * The command provider runs scripts with `/bin/sh -c` unless told otherwise;
 * on Debian that is dash, which lacks `pipefail` and `local`. Every command
 * resource and invoke sets this.
 */
export const BASH: string[] = ["/bin/bash", "-c"];

/**
 * Which CLI failures are worth another try. The CLI's exit code cannot say: oclif exits 1 for a router
 * 503 with an HTML body, a network failure AND a bad HEROKU_API_KEY, and 2 for every API error, a 429
 * included (heroku-cli-command api-client.ts, http-call http.ts). So the CLI's own words decide:
 * an HTTP 5xx it could not parse, a JSON error whose id is rate_limit / unavailable / internal_server_error,
 * or a network error http-call gave up on. Anything else (unknown app or database, bad key, Essential
 * plan, a refusal) fails at once with the CLI's message.
 */
const TRANSIENT = [
    "HTTP Error 5[0-9][0-9]",
    "Error ID: (rate_limit|unavailable|internal_server_error)",
    "ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up",
].join("|");

const PRELUDE = String.raw`set -euo pipefail
# FORCE_COLOR makes the CLI colour table cells even into a pipe, and NO_COLOR does not undo it.
unset FORCE_COLOR
export NO_COLOR=1
# hk: the heroku CLI. On failure its stderr is shown (unless HK_WITHHOLD=1: it could echo a secret) and the
# status is 75 when the failure is transient, 1 when it is not: retry() tries again only on 75.
hk() {
  local err rc=0
  err=$(mktemp)
  heroku "$@" 2>"$err" || rc=$?
  if [ "$rc" -ne 0 ]; then
    [ "${"$"}{HK_WITHHOLD:-}" = 1 ] || cat "$err" >&2
    if grep -Eq '${TRANSIENT}' "$err"; then rc=75; else rc=1; fi
  fi
  rm -f "$err"
  return "$rc"
}
retry() {
  local attempt=1 rc
  while :; do
    rc=0
    "$@" || rc=$?
    if [ "$rc" -ne 75 ]; then return "$rc"; fi
    if [ "$attempt" -ge "${"$"}{RAPTOR_RETRIES:-3}" ]; then
      echo "raptor: giving up after $attempt attempts: ${"$"}{*:1:3}" >&2
      return 1
    fi
    sleep $((attempt * ${"$"}{RAPTOR_RETRY_SECONDS:-2}))
    attempt=$((attempt + 1))
  done
}
# Who holds ATTACHMENT_NAME on APP: "ours" (ROLE's credential on the add-on ADDON_ID), "stale" (ROLE's
# credential on another add-on: the database was promoted away), "other" (another credential, e.g. the
# owner's: the app would run as the owner while every check looks green), or "none".
attachment_status() {
  local json
  json=$(hk addons --app "$APP" --json) || return $?
  printf '%s' "$json" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const [name, app, role, addonId] = process.argv.slice(1);
      const held = JSON.parse(s).flatMap((a) => (a.attachments || []).map((x) => ({ ...x, addonId: a.id })))
        .filter((x) => x.name === name && x.app && x.app.name === app);
      const mine = held.filter((x) => x.namespace === "credential:" + role);
      const ours = mine.some((x) => x.addonId === addonId);
      console.log(held.length === 0 ? "none" : ours ? "ours" : mine.length > 0 ? "stale" : "other");
    });' "$ATTACHMENT_NAME" "$APP" "$ROLE" "$ADDON_ID"
}
# Detaches ATTACHMENT_NAME when its holder is one of the given statuses. Looks again after a failure:
# the CLI re-sends a request whose response was lost, and the second DELETE then fails on a done detach.
detach_if_held_by() {
  local status rc=0
  status=$(attachment_status) || return $?
  case " $* " in *" $status "*) ;; *) return 0 ;; esac
  hk addons:detach "$ATTACHMENT_NAME" -a "$APP" >&2 || rc=$?
  [ "$rc" -eq 0 ] && return 0
  status=$(attachment_status) || return $?
  case " $* " in *" $status "*) return "$rc" ;; *) return 0 ;; esac
}
flag_value() { hk config:get "$FLAG_NAME" -a "$APP"; }
`;

/**
 * What the credential step differs in between the two command families (heroku 11.10): the command, what its
 * listing prints (classic `pg:credentials`: Credential, State; Advanced `data:pg:credentials`: Credential, Type,
 * State) and the store's states. Classic (lib/data/types.ts): active, rotating and rotation_completed work;
 * provisioning and wait_for_provisioning are waited for; revoking and archived mean it is being destroyed.
 * Advanced (AdvancedCredentialState, dist/lib/data/types.js): active and rotating work (a rotating credential keeps
 * its active role until the rotation ends), enabling is waited for, revoking means it is being destroyed.
 */
const CREDENTIAL_FAMILIES = {
    classic: {
        command: "pg:credentials",
        listed: "$2",
        working: "active|rotating|rotation_completed",
        waiting: 'provisioning|wait_for_provisioning|""',
        destroyed: "revoking|archived",
    },
    advanced: {
        command: "data:pg:credentials",
        listed: '$2 " " $3',
        working: "active|rotating",
        waiting: 'enabling|""',
        destroyed: "revoking",
    },
} as const;

/**
 * Creates the credential ROLE on the add-on ADDON_NAME unless it exists (adopts it), then waits until it works:
 * one script for both command families (core/heroku.ts commandFamily), which differ only in CREDENTIAL_FAMILIES.
 * credential_state prints "TYPE STATE" on Advanced and "STATE" on classic, empty when absent; an Advanced
 * credential of type `owner` is refused (adopting it would run the app as the owner: Dev Center calls it `owner`,
 * the CLI's fixtures give it a generated name). Classic lists no type, so refuse_owner never fires there.
 * The tier was checked before any resource (core/heroku.ts tierOf); the CLI refuses Essential itself.
 * Env: APP, ADDON_NAME, ADDON_ID, ROLE, ADDON_PLAN, MAX_POLLS, POLL_SECONDS.
 */
// The script text is deployed as is (it is in every Command's inputs and in the sign-off fingerprint):
// re-wrapping an echo to 120 columns would change every deployed command for nothing.
/* eslint-disable @stylistic/max-len */
export function credentialCreate(family: keyof typeof CREDENTIAL_FAMILIES): string {
    const f = CREDENTIAL_FAMILIES[family];
    return `${PRELUDE}
credential_state() {
  local out
  out=$(hk ${f.command} "$ADDON_NAME" -a "$APP") || return $?
  printf '%s\\n' "$out" | sed -e 's/\\x1b\\[[0-9;]*m//g' -e 's/[│|]/ /g' |
    awk -v r="$ROLE" '$1 == r { print ${f.listed}; exit }'
}
refuse_owner() {
  [ "\${1%% *}" = owner ] || return 0
  echo "raptor: credential $ROLE on $ADDON_NAME is the database's owner credential (type owner): the app would run as the owner." >&2
  echo "raptor: set raptor:role to a name of its own; the owner credential stays the owner." >&2
  return 1
}
create_unless_present() {
  local found rc=0
  found=$(credential_state) || return $?
  if [ -n "$found" ]; then
    refuse_owner "$found" || return 1
    echo "raptor: credential $ROLE already exists on $ADDON_NAME (\${found#* }); adopting it" >&2
    return 0
  fi
  hk ${f.command}:create "$ADDON_NAME" --name "$ROLE" -a "$APP" >&2 || rc=$?
  [ "$rc" -eq 0 ] && return 0
  # A lost response: the CLI re-sent the create, which then failed on the credential it had made.
  found=$(credential_state) || return $?
  [ -n "$found" ] && return 0
  return "$rc"
}
retry create_unless_present
state=""
for _ in $(seq 1 "$MAX_POLLS"); do
  found=$(retry credential_state)
  refuse_owner "$found" || exit 1
  state=\${found#* }
  case "$state" in
    ${f.working})
      echo "credential $ROLE on $APP is $state"
      exit 0 ;;
    ${f.waiting}) ;;
    ${f.destroyed})
      echo "raptor: credential $ROLE on $ADDON_NAME is $state (being destroyed)" >&2
      echo "raptor: wait until 'heroku ${f.command} $ADDON_NAME -a $APP' no longer lists it, then run 'pulumi up' again" >&2
      exit 1 ;;
    *)
      echo "raptor: credential $ROLE on $ADDON_NAME is in state '$state', which this program does not know" >&2
      echo "raptor: check 'heroku ${f.command} $ADDON_NAME -a $APP'" >&2
      exit 1 ;;
  esac
  sleep "$POLL_SECONDS"
done
echo "raptor: timed out: credential $ROLE on $APP is still '\${state:-absent}' after $MAX_POLLS checks $POLL_SECONDS s apart." >&2
echo "raptor: run 'pulumi up' again to keep waiting; if it stays so, check 'heroku ${f.command} $ADDON_NAME -a $APP' and escalate." >&2
exit 1
`;
}
/* eslint-enable @stylistic/max-len */

/** The credential step of each family (FAMILY_SCRIPTS), under the names the tests and the resources know. */
export const CREDENTIAL_CREATE = credentialCreate("classic");
export const ADVANCED_CREDENTIAL_CREATE = credentialCreate("advanced");

/** Reached only if an operator removes retainOnDelete: dropping the role is an operator decision. */
export const CREDENTIAL_DELETE =
    String.raw`echo "raptor: credential $ROLE on $APP is retained; see the README ` +
    String.raw`(Removing the role) to drop it by hand" >&2`;

/**
 * Attaches ROLE's credential of the add-on ADDON_NAME as ATTACHMENT_NAME, so Heroku sets and rotates
 * ATTACHMENT_NAME_URL. `addons:attach` takes the add-on's name or id, never an attachment name
 * (it calls GET /addons/{id_or_name}, heroku/cli addons/attach.ts). With --confirm the attach replaces
 * a same-named attachment in one step (another credential's, or ours on a database promoted away), so
 * the var never goes missing. If Heroku refuses because a hand-set var of that name exists (config-var
 * delivery), the var is unset and the attach retried only while the flag is off: with it on, the app
 * would restart without its URL.
 * Env: APP, ADDON_NAME, ADDON_ID, ROLE, ATTACHMENT_NAME, FLAG_NAME.
 */
// The script text is deployed as is (it is in every Command's inputs and in the sign-off fingerprint):
// re-wrapping an echo to 120 columns would change every deployed command for nothing.
/* eslint-disable @stylistic/max-len */
/** The attach flow, shared by both command families; `attach` is the line that attaches (status in rc). */
const attachFlow = (prelude: string, attach: string) => `${prelude}
attach_unless_ours() {
  local now rc=0
  now=$(attachment_status) || return $?
  [ "$now" = ours ] && return 0
${attach}
  [ "$rc" -eq 0 ] && return 0
  now=$(attachment_status) || return $?
  [ "$now" = ours ] && return 0
  return "$rc"
}
status=$(retry attachment_status)
if [ "$status" = ours ]; then
  echo "$ATTACHMENT_NAME already attached on $APP"
  exit 0
fi
if [ "$status" != none ]; then
  echo "raptor: $ATTACHMENT_NAME on $APP is held by $status credential or database; replacing it with $ROLE on $ADDON_NAME" >&2
fi
# Attach first: nothing is unset unless Heroku refuses, so a refusal leaves the app as it was.
rc=0
retry attach_unless_ours || rc=$?
if [ "$rc" -ne 0 ]; then
  hand_set=""
  if [ "$status" = none ]; then
    hand_set=$(retry hk config:get "\${ATTACHMENT_NAME}_URL" -a "$APP")
  fi
  # Refused for another reason (the CLI said why, above): nothing more to try.
  [ -n "$hand_set" ] || exit "$rc"
  flag=$(retry flag_value)
  if [ "$flag" = 1 ]; then
    echo "raptor: \${ATTACHMENT_NAME}_URL on $APP is a hand-set value (config-var delivery) and $FLAG_NAME is 1:" >&2
    echo "raptor: the attach was refused (above), and unsetting the var first would restart the app without its URL." >&2
    echo "raptor: turn the flag off (raptor:roleSeparation false, pulumi up), switch urlDelivery, then turn it on." >&2
    exit 1
  fi
  # The flag is off: the app reads the owner URL, so the hand-set value can go before attaching again.
  echo "raptor: unsetting the hand-set \${ATTACHMENT_NAME}_URL on $APP ($FLAG_NAME is not 1) and attaching again" >&2
  retry hk config:unset "\${ATTACHMENT_NAME}_URL" -a "$APP" >/dev/null
  retry attach_unless_ours
fi
# An attach that answered 0 may still have attached nothing (a prompt with no terminal): check.
status=$(retry attachment_status)
if [ "$status" != ours ]; then
  echo "raptor: $ATTACHMENT_NAME on $APP is '$status' after the attach; check 'heroku addons -a $APP'" >&2
  exit 1
fi
echo "$ATTACHMENT_NAME attached on $APP"
`;
export const ATTACHMENT_CREATE = attachFlow(
    PRELUDE,
    '  hk addons:attach "$ADDON_NAME" --credential "$ROLE" --as "$ATTACHMENT_NAME" -a "$APP" --confirm "$APP" >&2 || rc=$?',
);
/* eslint-enable @stylistic/max-len */

/**
 * Detaches only our own attachment on our add-on: a same-named one of another credential, or ours
 * already moved to a promoted database by the replacement, is not this resource's to remove.
 */
export const ATTACHMENT_DELETE = `${PRELUDE}
retry detach_if_held_by ours
echo "$ATTACHMENT_NAME detached from $APP"
`;

/** Prints the credential's connection block; its stdout is a secret. Env: APP, ADDON_NAME, ROLE. */
export const CREDENTIAL_URL_READ = `${PRELUDE}
retry hk pg:credentials:url "$ADDON_NAME" --name "$ROLE" -a "$APP"
`;

/**
 * Sets VAR_NAME to VAR_VALUE (a secret, from the environment). config:set echoes the values it sets, so
 * its output is never shown. An attachment holding the name owns the var (config:set fails "Cannot
 * overwrite attachment values"), so it is detached first, but only while the flag is off: detach then
 * set restarts the app twice, the first time without the var.
 * Env: APP, ROLE, ADDON_ID, VAR_NAME, VAR_VALUE, ATTACHMENT_NAME, FLAG_NAME.
 */
export const CONFIG_VAR_SET = `${PRELUDE}
status=$(retry attachment_status)
if [ "$status" != none ]; then
  flag=$(retry flag_value)
  if [ "$flag" = 1 ]; then
    echo "raptor: $VAR_NAME on $APP is set by the $ATTACHMENT_NAME attachment and $FLAG_NAME is 1:" >&2
    echo "raptor: detaching it to set the value by hand would restart the app without its URL." >&2
    echo "raptor: turn the flag off (raptor:roleSeparation false, pulumi up), switch urlDelivery, then turn it on." >&2
    exit 1
  fi
  retry detach_if_held_by ours stale other
fi
set_var() { HK_WITHHOLD=1 hk config:set "$VAR_NAME=$VAR_VALUE" -a "$APP" >/dev/null; }
if ! retry set_var; then
  echo "raptor: heroku config:set $VAR_NAME -a $APP failed; its output is withheld because it would echo the URL" >&2
  exit 1
fi
echo "$VAR_NAME set on $APP"
`;

/** Leaves the var alone when an attachment owns it now (the switch to attachment delivery) or the app reads it. */
export const CONFIG_VAR_UNSET = `${PRELUDE}
status=$(retry attachment_status)
if [ "$status" != none ]; then
  echo "$VAR_NAME is owned by the $ATTACHMENT_NAME attachment now; leaving it"
  exit 0
fi
flag=$(retry flag_value)
if [ "$flag" = 1 ]; then
  echo "raptor: $FLAG_NAME is 1 on $APP, so the app reads $VAR_NAME: not unsetting it. Turn the flag off first." >&2
  exit 1
fi
retry hk config:unset "$VAR_NAME" -a "$APP" >/dev/null
echo "$VAR_NAME unset on $APP"
`;

/**
 * Sets the flag and, when it turns on, prints the time (UTC, ISO 8601): the
 * staging stack exports it as the start of the soak. Env: APP, FLAG_NAME, FLAG_VALUE.
 */
export const FLAG_SET = `${PRELUDE}
retry hk config:set "$FLAG_NAME=$FLAG_VALUE" -a "$APP" >/dev/null
if [ "$FLAG_VALUE" = "1" ]; then
  date -u +%Y-%m-%dT%H:%M:%SZ
fi
`;

/** Destroying the stack falls the app back to the owner URL rather than leaving a dangling flag. */
export const FLAG_DELETE = `${PRELUDE}
retry hk config:set "$FLAG_NAME=0" -a "$APP" >/dev/null
`;

/** Invoke scripts (run in preview too), with the same retries: a 503 must not fail a preview or a 2 am rollback. */
export const READ_ADDONS = `${PRELUDE}
retry hk addons --app "$APP" --json
`;
/** Env: APP, DATABASE. Its stdout is the owner URL, a secret. */
export const READ_OWNER_URL = `${PRELUDE}
retry hk config:get "\${DATABASE}_URL" -a "$APP"
`;

/*
 * Heroku Postgres Advanced (plans `^(advanced|performance)`, core/heroku.ts tierOf): the same steps through
 * `heroku data:pg:*`, which call /data/postgres/v1/{addon id} (heroku 11.10 dist/commands/data/pg/). What differs:
 * - `data:pg:credentials` prints Credential, Type (`owner` or `additional`) and State, and the states are
 *   AdvancedCredentialState: active, enabling, revoking, rotating (dist/lib/data/types.js);
 * - the owner credential is found by `type: "owner"`, not by a name (Dev Center calls it `owner`, the CLI's
 *   fixtures give it a generated one): adopting a credential of that type would run the app as the owner;
 * - an attachment names its credential and pool as factors, `role:NAME|proxy:false|pool:POOL`
 *   (dist/lib/data/parse-attachment-factors.js); no pool factor means the leader pool (data/pg/info.js);
 * - `data:pg:attachments:create` prompts for a missing --credential, --pool or --as, so all three are passed.
 */

/**
 * attachment_status for both families, redefined after PRELUDE's (bash keeps the last definition, and
 * detach_if_held_by calls it): a classic `credential:ROLE` or an Advanced `role:ROLE` factor is ROLE's, and
 * "ours" also needs the pool POOL (an attachment without a pool factor is on the leader pool).
 */
const ADVANCED_PRELUDE = `${PRELUDE}attachment_status() {
  local json
  json=$(hk addons --app "$APP" --json) || return $?
  printf '%s' "$json" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const [name, app, role, addonId, pool] = process.argv.slice(1);
      const factors = (ns) => Object.fromEntries(String(ns || "").split("|")
        .map((f) => /^([^:]+):(.*)$/.exec(f)).filter(Boolean).map((m) => [m[1].trim(), m[2].trim()]));
      const held = JSON.parse(s).flatMap((a) => (a.attachments || []).map((x) => ({ ...x, addonId: a.id })))
        .filter((x) => x.name === name && x.app && x.app.name === app);
      const mine = held.filter((x) => [factors(x.namespace).role, factors(x.namespace).credential].includes(role));
      const ours = mine.some((x) => x.addonId === addonId && (factors(x.namespace).pool || "leader") === pool);
      console.log(held.length === 0 ? "none" : ours ? "ours" : mine.length > 0 ? "stale" : "other");
    });' "$ATTACHMENT_NAME" "$APP" "$ROLE" "$ADDON_ID" "\${POOL:-leader}"
}
`;

/* eslint-disable @stylistic/max-len */
/**
 * "KIND STATUS|POOLS" for POOL from `data:pg:info` (info.js prints `=== Leader pool` for the pool named leader,
 * `=== Follower pool NAME` for the others, each followed by its status), KIND STATUS being `absent` when POOL is
 * not listed.
 */
const POOL_INFO = String.raw`
pool_info() {
  local out
  out=$(hk data:pg:info "$ADDON_NAME" -a "$APP") || return $?
  printf '%s\n' "$out" | sed -e 's/\x1b\[[0-9;]*m//g' | awk -v p="$POOL" '
    /^=== Leader pool/ { cur = "leader"; kind = "leader"; next }
    /^=== Follower pool / { cur = $4; kind = "follower"; next }
    /^=== / { cur = ""; next }
    cur != "" && NF > 0 { pools = pools " " cur; if (cur == p && found == "") found = kind " " $NF; cur = "" }
    END { print (found == "" ? "absent" : found) "|" pools }'
}
`;

/**
 * ATTACHMENT_CREATE on Advanced, after checking POOL against the database's pools: the pool must be listed, and
 * be the leader's. A follower pool is served by followers (data:pg:info's `Follower pool`, compute role
 * `follower`), read-only replicas, and the app role writes. Env: as ATTACHMENT_CREATE, plus POOL.
 */
export const ADVANCED_ATTACHMENT_CREATE = attachFlow(
    `${ADVANCED_PRELUDE}${POOL_INFO}
info=$(retry pool_info)
found=\${info%%|*}
if [ "$found" = absent ]; then
  echo "raptor: pool '$POOL' (raptor:pool) is not a pool of $ADDON_NAME; 'heroku data:pg:info $ADDON_NAME -a $APP' lists:\${info#*|}" >&2
  echo "raptor: set raptor:pool to the leader pool (leader) or leave it unset; nothing was attached." >&2
  exit 1
fi
if [ "\${found%% *}" = follower ]; then
  echo "raptor: pool '$POOL' (raptor:pool) is a follower pool of $ADDON_NAME: its instances are read-only followers, and $ROLE writes." >&2
  echo "raptor: set raptor:pool to the leader pool (leader) or leave it unset; nothing was attached." >&2
  exit 1
fi`,
    '  hk data:pg:attachments:create "$ADDON_NAME" --credential "$ROLE" --as "$ATTACHMENT_NAME" --pool "$POOL" -a "$APP" --confirm "$APP" >&2 || rc=$?',
);
/* eslint-enable @stylistic/max-len */

/** ATTACHMENT_DELETE on Advanced: only ROLE's attachment on this add-on and pool is ours to remove. */
export const ADVANCED_ATTACHMENT_DELETE = `${ADVANCED_PRELUDE}
retry detach_if_held_by ours
echo "$ATTACHMENT_NAME detached from $APP"
`;

/** CREDENTIAL_URL_READ on Advanced (data/pg/credentials/url.js reads `roles`). Env: APP, ADDON_NAME, ROLE. */
export const ADVANCED_CREDENTIAL_URL_READ = `${PRELUDE}
retry hk data:pg:credentials:url "$ADDON_NAME" --name "$ROLE" -a "$APP"
`;

/**
 * The owner's connection block on Advanced (an invoke; its stdout is a secret). Without --name, url.js takes the
 * credential whose type is `owner`, whatever its name. Env: APP, ADDON_NAME.
 */
export const READ_OWNER_URL_ADVANCED = `${PRELUDE}
retry hk data:pg:credentials:url "$ADDON_NAME" -a "$APP"
`;

/** The scripts of each step, by the command family the add-on's plan takes (core/heroku.ts commandFamily). */
export const FAMILY_SCRIPTS = {
    classic: {
        credentialCreate: CREDENTIAL_CREATE,
        attachmentCreate: ATTACHMENT_CREATE,
        attachmentDelete: ATTACHMENT_DELETE,
        credentialUrlRead: CREDENTIAL_URL_READ,
    },
    advanced: {
        credentialCreate: ADVANCED_CREDENTIAL_CREATE,
        attachmentCreate: ADVANCED_ATTACHMENT_CREATE,
        attachmentDelete: ADVANCED_ATTACHMENT_DELETE,
        credentialUrlRead: ADVANCED_CREDENTIAL_URL_READ,
    },
} as const;
