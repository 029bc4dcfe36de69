/**
 * The role family: the role is missing, cannot log in, holds attributes
 * beyond DML, or is a member of other roles (the plan grants none, and no
 * Pulumi state shows one).
 */
import { quoteIdent } from "../identifiers";
import { Checker } from "./checker";
import { PREDEFINED } from "./privileges";
import { VerifyContext } from "./report";

export function checkRoleMissing(c: Checker, ctx: VerifyContext): void {
    const h = ctx.heroku;
    c.add(
        "role-missing",
        `role ${c.R}`,
        `role ${c.R} does not exist in database ${quoteIdent(c.cat.database.name)}. ` +
            "Create it as a Heroku credential, " +
            "never with CREATE ROLE (the owner is not in rds_password: runbook failure mode A), then attach it and " +
            "apply the grants (pulumi up, or raptor-roles sql)",
        [`heroku pg:credentials:create ${h?.attachment ?? "DATABASE"} --name ${c.plan.role} -a ${h?.app ?? "<app>"}`],
    );
}

export function checkRole(c: Checker): void {
    const role = c.cat.role;
    if (role === null) {
        return;
    }
    const R = c.R;
    const roleObj = `role ${R}`;
    const escalate = "(ALTER ROLE needs a superuser or CREATEROLE; on Heroku escalate to the operator)";
    const login: [boolean, string, string][] = [
        [!role.canLogin, `${R} has NOLOGIN: the app cannot connect as it ${escalate}`, `ALTER ROLE ${R} LOGIN;`],
        [
            role.expired,
            `${R}'s VALID UNTIL is in the past: password logins are refused`,
            `ALTER ROLE ${R} VALID UNTIL 'infinity';`,
        ],
        [
            role.connectionLimit === 0,
            `${R} has CONNECTION LIMIT 0: every login is refused`,
            `ALTER ROLE ${R} CONNECTION LIMIT -1;`,
        ],
        [
            !c.cat.database.connect,
            `${R} has no CONNECT on database ${quoteIdent(c.cat.database.name)} (not directly, not through PUBLIC)`,
            `GRANT CONNECT ON DATABASE ${quoteIdent(c.cat.database.name)} TO ${R};`,
        ],
    ];
    for (const [bad, detail, fix] of login) {
        if (bad) {
            c.add("role-cannot-login", roleObj, detail, [fix]);
        }
    }
    const attributes: [boolean, string, string][] = [
        [role.superuser, "SUPERUSER", "bypasses every privilege check: it can read, rewrite and drop anything"],
        [role.createRole, "CREATEROLE", "can create roles and grant itself their memberships"],
        [role.createDb, "CREATEDB", "can create databases (DDL)"],
        [role.replication, "REPLICATION", "can stream every row of the cluster"],
        [role.bypassRls, "BYPASSRLS", "ignores row-level security policies"],
    ];
    for (const [has, attr, why] of attributes) {
        if (has) {
            const detail = `${R} has ${attr}: it ${why}; the plan allows DML only (needs a superuser to remove)`;
            c.add("role-attribute", roleObj, detail, [`ALTER ROLE ${R} NO${attr};`]);
        }
    }
}

/** What a membership hands the role: attributes usable after SET ROLE, ownership, predefined powers. */
function membershipGives(c: Checker, via: string): string[] {
    const gives: string[] = [];
    for (const x of c.cat.reached.filter((r) => r.via === via)) {
        const who = x.role === via ? quoteIdent(x.role) : `${quoteIdent(x.role)} (through it)`;
        const attrs = [
            x.superuser && "SUPERUSER",
            x.createRole && "CREATEROLE",
            x.createDb && "CREATEDB",
            x.replication && "REPLICATION",
            x.bypassRls && "BYPASSRLS",
        ].filter(Boolean);
        if (attrs.length > 0) {
            gives.push(`${who} has ${attrs.join(", ")} (usable after SET ROLE)`);
        }
        if (x.databaseOwner) {
            gives.push(`${who} owns database ${quoteIdent(c.cat.database.name)} and every object it created`);
        } else if (x.ownsRelations > 0) {
            gives.push(`${who} owns ${x.ownsRelations} object(s) in this database`);
        }
        if (x.predefined) {
            const p = PREDEFINED[x.role];
            gives.push(
                p
                    ? `${who} is predefined: ${[...new Set(p.TABLE)].join(", ")} on every table of every schema`
                    : `${who} is a predefined role (powers beyond DML on the grant matrix)`,
            );
        }
    }
    return gives;
}

export function checkMemberships(c: Checker): void {
    const R = c.R;
    for (const m of c.cat.memberships) {
        const gives = membershipGives(c, m.role);
        const opts = [m.inherit ? "INHERIT" : "NOINHERIT", m.set ? "SET" : "NOSET", m.admin ? "ADMIN" : ""]
            .filter(Boolean)
            .join(", ");
        c.add(
            "role-membership",
            `membership ${R} in ${quoteIdent(m.role)}`,
            `${R} is a member of ${quoteIdent(m.role)} (${opts}; granted by ${quoteIdent(m.grantor)}). ` +
                "The plan grants no memberships: privileges that arrive this way bypass the matrix " +
                "and no Pulumi state shows them" +
                (gives.length > 0 ? `. ${gives.join("; ")}` : ""),
            [`REVOKE ${quoteIdent(m.role)} FROM ${R} GRANTED BY ${quoteIdent(m.grantor)};`],
        );
    }
}
