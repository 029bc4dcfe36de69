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
# Prints yes when ATTACHMENT_NAME is attached to the app (Heroku then owns ATTACHMENT_NAME_URL), else no.
# Fails only when Heroku cannot be asked, so callers assign it first and set -e stops on failure.
attachment_status() {
  heroku addons --app "$APP" --json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const names = JSON.parse(s).flatMap((a) => (a.attachments || []).map((x) => x.name));
      console.log(names.includes(process.argv[1]) ? "yes" : "no");
    });' "$ATTACHMENT_NAME"
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
 * hand-set var first. Env: APP, DATABASE, ROLE, ATTACHMENT_NAME.
 */
export const ATTACHMENT_CREATE = `${PRELUDE}
attached=$(retry attachment_status)
if [ "$attached" = yes ]; then
  echo "$ATTACHMENT_NAME already attached on $APP"
  exit 0
fi
current=$(retry heroku config:get "\${ATTACHMENT_NAME}_URL" -a "$APP")
if [ -n "$current" ]; then
  # A hand-set (config-var delivery) value would block the attachment and go stale; Heroku will own it now.
  retry heroku config:unset "\${ATTACHMENT_NAME}_URL" -a "$APP" >/dev/null 2>&1
fi
retry heroku addons:attach "$DATABASE" --credential "$ROLE" --as "$ATTACHMENT_NAME" -a "$APP" --confirm "$APP" >&2
echo "$ATTACHMENT_NAME attached on $APP"
`;

export const ATTACHMENT_DELETE = `${PRELUDE}
attached=$(retry attachment_status)
if [ "$attached" = yes ]; then
  retry heroku addons:detach "$ATTACHMENT_NAME" -a "$APP" >&2
fi
echo "$ATTACHMENT_NAME detached from $APP"
`;

/** Prints the credential's connection block; its stdout is a secret. Env: APP, DATABASE, ROLE. */
export const CREDENTIAL_URL_READ = `${PRELUDE}
retry heroku pg:credentials:url "$DATABASE" --name "$ROLE" -a "$APP"
`;

/**
 * Sets VAR_NAME to VAR_VALUE (a secret, from the environment). config:set
 * echoes the values it sets, so its output is never shown. Converges from
 * attachment delivery by detaching first. Env: APP, VAR_NAME, VAR_VALUE, ATTACHMENT_NAME.
 */
export const CONFIG_VAR_SET = `${PRELUDE}
attached=$(retry attachment_status)
if [ "$attached" = yes ]; then
  retry heroku addons:detach "$ATTACHMENT_NAME" -a "$APP" >&2
fi
set_var() { heroku config:set "$VAR_NAME=$VAR_VALUE" -a "$APP" >/dev/null 2>&1; }
if ! retry set_var; then
  echo "raptor: heroku config:set $VAR_NAME -a $APP failed; its output is withheld because it would echo the URL" >&2
  exit 1
fi
echo "$VAR_NAME set on $APP"
`;

/** Leaves the var alone when an attachment now owns it (the switch to attachment delivery). */
export const CONFIG_VAR_UNSET = `${PRELUDE}
attached=$(retry attachment_status)
if [ "$attached" = yes ]; then
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

/** Invoke scripts (run in preview too). Env: APP; for the owner URL also DATABASE. */
export const READ_ADDONS = String.raw`heroku addons --app "$APP" --json`;
export const READ_OWNER_URL = `heroku config:get "\${DATABASE}_URL" -a "$APP"`;
