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

const PRELUDE = `set -euo pipefail
# Heroku's API has transient failures (503s, timeouts); every call that is safe to repeat is retried.
retry() {
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge "\${RAPTOR_RETRIES:-3}" ]; then
      echo "raptor: giving up after $attempt attempts: $1" >&2
      return 1
    fi
    sleep $((attempt * \${RAPTOR_RETRY_SECONDS:-2}))
    attempt=$((attempt + 1))
  done
}
# Who holds ATTACHMENT_NAME on this app: "ours" (our credential), "other" (another credential, e.g. the
# owner's: the app would run as the owner while every check looks green), or "none". Fails only when
# Heroku cannot be asked, so callers assign it first and set -e stops on failure.
attachment_status() {
  heroku addons --app "$APP" --json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const [name, app, role] = process.argv.slice(1);
      const held = JSON.parse(s).flatMap((a) => a.attachments || [])
        .filter((x) => x.name === name && (!x.app || x.app.name === app));
      if (held.length === 0) return console.log("none");
      console.log(held.some((x) => x.namespace === "credential:" + role) ? "ours" : "other");
    });' "$ATTACHMENT_NAME" "$APP" "$ROLE"
}
# Detaches ATTACHMENT_NAME when its holder is one of the given statuses. Re-checks on every attempt,
# so a retry after a lost response sees the detach already done instead of failing on it.
detach_if_held_by() {
  local status
  status=$(attachment_status) || return 1
  case " $* " in *" $status "*) heroku addons:detach "$ATTACHMENT_NAME" -a "$APP" >&2 ;; esac
}
`;

/** State of the credential ROLE on DATABASE, empty when absent. Handles plain and boxed tables. */
const CREDENTIAL_STATE = String.raw`
credential_state() {
  local out
  out=$(heroku pg:credentials "$DATABASE" -a "$APP") || return 1
  printf '%s\n' "$out" | sed 's/[│|]/ /g' | awk -v r="$ROLE" '$1 == r { print $2; exit }'
}
`;

/**
 * Creates the credential unless it exists (adopts it), then waits until it is
 * active. Env: APP, DATABASE, ROLE, ADDON_PLAN, MAX_POLLS, POLL_SECONDS.
 */
export const CREDENTIAL_CREATE = `${PRELUDE}${CREDENTIAL_STATE}
case "\${ADDON_PLAN#heroku-postgresql:}" in
  standard-*|premium-*|private-*|shield-*|advanced*) ;;
  *) echo "raptor: refusing to create $ROLE on $APP: plan $ADDON_PLAN cannot have custom credentials (Standard-0 or better required)" >&2; exit 1 ;;
esac
create_unless_present() {
  local state
  state=$(credential_state) || return 1
  if [ -n "$state" ]; then
    echo "raptor: credential $ROLE already exists on $APP ($state); adopting it" >&2
    return 0
  fi
  # Attachment first, role in --name: swapped, the CLI answers "Unknown database: $ROLE".
  heroku pg:credentials:create "$DATABASE" --name "$ROLE" -a "$APP" >&2
}
retry create_unless_present
state=""
for _ in $(seq 1 "$MAX_POLLS"); do
  state=$(retry credential_state)
  if [ "$state" = "active" ]; then
    echo "credential $ROLE on $APP is active"
    exit 0
  fi
  sleep "$POLL_SECONDS"
done
echo "raptor: timed out: credential $ROLE on $APP is still '\${state:-absent}' after $MAX_POLLS checks $POLL_SECONDS s apart." >&2
echo "raptor: run 'pulumi up' again to keep waiting; if it stays so, check 'heroku pg:credentials $DATABASE -a $APP' and escalate." >&2
exit 1
`;

/** Reached only if an operator removes retainOnDelete: dropping the role is an operator decision. */
export const CREDENTIAL_DELETE = String.raw`echo "raptor: credential $ROLE on $APP is retained; see the README (Removing the role) to drop it by hand" >&2`;

/**
 * Attaches the credential as ATTACHMENT_NAME so Heroku sets and rotates
 * ATTACHMENT_NAME_URL. Converges from config-var delivery by unsetting the
 * hand-set var first. Env: APP, ADDON_NAME, ROLE, ATTACHMENT_NAME. ADDON_NAME is the add-on's globally unique
 * name: `heroku addons:attach` looks its argument up with GET /addons/{id or name} and no app (heroku 11.10
 * dist/commands/addons/attach.js:21), so an attachment name such as DATABASE is "Couldn't find that add-on."
 */
export const ATTACHMENT_CREATE = `${PRELUDE}
status=$(retry attachment_status)
if [ "$status" = ours ]; then
  echo "$ATTACHMENT_NAME already attached on $APP"
  exit 0
fi
if [ "$status" = none ]; then
  current=$(retry heroku config:get "\${ATTACHMENT_NAME}_URL" -a "$APP")
  if [ -n "$current" ]; then
    # A hand-set (config-var delivery) value would block the attachment and go stale; Heroku will own it now.
    retry heroku config:unset "\${ATTACHMENT_NAME}_URL" -a "$APP" >/dev/null 2>&1
  fi
else
  echo "raptor: $ATTACHMENT_NAME on $APP belongs to another credential; replacing it with $ROLE" >&2
fi
# --confirm replaces an attachment of another credential under the same name.
attach_unless_ours() {
  local now
  now=$(attachment_status) || return 1
  [ "$now" = ours ] && return 0
  heroku addons:attach "$ADDON_NAME" --credential "$ROLE" --as "$ATTACHMENT_NAME" -a "$APP" --confirm "$APP" >&2
}
retry attach_unless_ours
echo "$ATTACHMENT_NAME attached on $APP"
`;

/** Detaches only our own attachment: a same-named one of another credential is not ours to remove. */
export const ATTACHMENT_DELETE = `${PRELUDE}
retry detach_if_held_by ours
echo "$ATTACHMENT_NAME detached from $APP"
`;

/** Prints the credential's connection block; its stdout is a secret. Env: APP, DATABASE, ROLE. */
export const CREDENTIAL_URL_READ = `${PRELUDE}
retry heroku pg:credentials:url "$DATABASE" --name "$ROLE" -a "$APP"
`;

/**
 * Sets VAR_NAME to VAR_VALUE (a secret, from the environment). config:set
 * echoes the values it sets, so its output is never shown. Converges from
 * attachment delivery by detaching first. Env: APP, ROLE, VAR_NAME, VAR_VALUE, ATTACHMENT_NAME.
 */
export const CONFIG_VAR_SET = `${PRELUDE}
# Any attachment holding the name owns the var; it must go for the hand-set value to take.
retry detach_if_held_by ours other
set_var() { heroku config:set "$VAR_NAME=$VAR_VALUE" -a "$APP" >/dev/null 2>&1; }
if ! retry set_var; then
  echo "raptor: heroku config:set $VAR_NAME -a $APP failed; its output is withheld because it would echo the URL" >&2
  exit 1
fi
echo "$VAR_NAME set on $APP"
`;

/** Leaves the var alone when an attachment now owns it (the switch to attachment delivery). */
export const CONFIG_VAR_UNSET = `${PRELUDE}
status=$(retry attachment_status)
if [ "$status" != none ]; then
  echo "$VAR_NAME is owned by the $ATTACHMENT_NAME attachment now; leaving it"
  exit 0
fi
retry heroku config:unset "$VAR_NAME" -a "$APP" >/dev/null 2>&1
echo "$VAR_NAME unset on $APP"
`;

/**
 * Sets the flag and, when it turns on, prints the time (UTC, ISO 8601): the
 * staging stack exports it as the start of the soak. Env: APP, FLAG_NAME, FLAG_VALUE.
 */
export const FLAG_SET = `${PRELUDE}
retry heroku config:set "$FLAG_NAME=$FLAG_VALUE" -a "$APP" >/dev/null
if [ "$FLAG_VALUE" = "1" ]; then
  date -u +%Y-%m-%dT%H:%M:%SZ
fi
`;

/** Destroying the stack falls the app back to the owner URL rather than leaving a dangling flag. */
export const FLAG_DELETE = `${PRELUDE}
retry heroku config:set "$FLAG_NAME=0" -a "$APP" >/dev/null
`;

/** Runs an invoke's read with the same retries as the resources: a 503 must not fail a preview or a 2 am rollback. */
const readWithRetries = (what: string, call: string) => `for attempt in 1 2 3; do
  if out=$(${call}); then
    printf '%s\\n' "$out"
    exit 0
  fi
  sleep $((attempt * \${RAPTOR_RETRY_SECONDS:-2}))
done
echo "raptor: ${what} failed 3 times" >&2
exit 1
`;

/** Invoke scripts (run in preview too). Env: APP; for the owner URL also DATABASE. */
export const READ_ADDONS = readWithRetries("heroku addons --app $APP --json", `heroku addons --app "$APP" --json`);
export const READ_OWNER_URL = readWithRetries("heroku config:get \${DATABASE}_URL -a $APP", `heroku config:get "\${DATABASE}_URL" -a "$APP"`);
