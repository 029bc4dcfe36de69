/**
 * The credential step is one script for both command families (issue 30): classic and Advanced differ only in the
 * heroku command, what its listing prints and the store's state names. Their behaviour through the real heroku CLI
 * is test/core/heroku-scripts/credential.test.ts's and advanced.test.ts's.
 */
import { describe, expect, it } from "vitest";

// The scripts' own lines, compared whole: they are deployed as is and not wrapped (core/heroku-scripts.ts).
/* eslint-disable @stylistic/max-len */
import { ADVANCED_CREDENTIAL_CREATE, CREDENTIAL_CREATE, credentialCreate } from "../../core/heroku-scripts";

describe("credentialCreate", () => {
    it("is the script of each family", () => {
        expect(credentialCreate("classic")).toBe(CREDENTIAL_CREATE);
        expect(credentialCreate("advanced")).toBe(ADVANCED_CREDENTIAL_CREATE);
    });

    it("the two differ in exactly the family's lines: command, listing columns, state names", () => {
        const classic = CREDENTIAL_CREATE.split("\n");
        const advanced = ADVANCED_CREDENTIAL_CREATE.split("\n");
        expect(advanced.length).toBe(classic.length);
        const differing = classic.flatMap((line, i) => (line === advanced[i] ? [] : [[line, advanced[i]]]));
        expect(differing).toEqual([
            [
                '  out=$(hk pg:credentials "$ADDON_NAME" -a "$APP") || return $?',
                '  out=$(hk data:pg:credentials "$ADDON_NAME" -a "$APP") || return $?',
            ],
            [
                "    awk -v r=\"$ROLE\" '$1 == r { print $2; exit }'",
                '    awk -v r="$ROLE" \'$1 == r { print $2 " " $3; exit }\'',
            ],
            [
                '  hk pg:credentials:create "$ADDON_NAME" --name "$ROLE" -a "$APP" >&2 || rc=$?',
                '  hk data:pg:credentials:create "$ADDON_NAME" --name "$ROLE" -a "$APP" >&2 || rc=$?',
            ],
            ["    active|rotating|rotation_completed)", "    active|rotating)"],
            ['    provisioning|wait_for_provisioning|"") ;;', '    enabling|"") ;;'],
            ["    revoking|archived)", "    revoking)"],
            [
                "      echo \"raptor: wait until 'heroku pg:credentials $ADDON_NAME -a $APP' no longer lists it, then run 'pulumi up' again\" >&2",
                "      echo \"raptor: wait until 'heroku data:pg:credentials $ADDON_NAME -a $APP' no longer lists it, then run 'pulumi up' again\" >&2",
            ],
            [
                "      echo \"raptor: check 'heroku pg:credentials $ADDON_NAME -a $APP'\" >&2",
                "      echo \"raptor: check 'heroku data:pg:credentials $ADDON_NAME -a $APP'\" >&2",
            ],
            [
                "echo \"raptor: run 'pulumi up' again to keep waiting; if it stays so, check 'heroku pg:credentials $ADDON_NAME -a $APP' and escalate.\" >&2",
                "echo \"raptor: run 'pulumi up' again to keep waiting; if it stays so, check 'heroku data:pg:credentials $ADDON_NAME -a $APP' and escalate.\" >&2",
            ],
        ]);
    });
});
