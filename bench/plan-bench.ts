/**
 * Times `raptor-roles plan` (the real program under mocks + every policy)
 * for 40, 1,000 and 10,000 classified tables. Target: linear in tables.
 */
import { performance } from "node:perf_hooks";
import { Classification, RAPTOR_CLASSIFICATION } from "../core/classification";
import { planDocument } from "../cli/plan";

export interface PlanFigure {
    tables: number;
    resources: number;
    ms: number;
    msPerTable: number;
}

/** A classification of n tables in Raptor's proportions, keeping the real append-only and locked tables. */
export function syntheticClassification(n: number): Classification {
    if (n <= 40) {
        return RAPTOR_CLASSIFICATION;
    }
    const extraAppendOnly = Math.floor((n - 40) / 4);
    const extraApplication = n - 40 - extraAppendOnly;
    return {
        application: [
            ...RAPTOR_CLASSIFICATION.application,
            ...Array.from({ length: extraApplication }, (_, i) => `app_table_${i}`),
        ],
        appendOnly: [
            ...RAPTOR_CLASSIFICATION.appendOnly,
            ...Array.from({ length: extraAppendOnly }, (_, i) => `audit_table_${i}`),
        ],
        locked: RAPTOR_CLASSIFICATION.locked,
    };
}

export async function benchPlan(sizes: readonly number[] = [40, 1_000, 10_000]): Promise<PlanFigure[]> {
    // Warm up module loading and the JIT so the 40-table figure is not mostly start-up.
    await planDocument({ stack: "staging" });
    const figures: PlanFigure[] = [];
    for (const tables of sizes) {
        const classification = syntheticClassification(tables);
        const t0 = performance.now();
        const doc = await planDocument({ stack: "staging", classification });
        const ms = performance.now() - t0;
        if (doc.matrix.length !== tables || doc.error) {
            throw new Error(
                `plan for ${tables} tables declared ${doc.matrix.length} table ` +
                    `grants${doc.error ? `: ${doc.error}` : ""}`,
            );
        }
        figures.push({ tables, resources: doc.resources.length, ms, msPerTable: ms / tables });
    }
    return figures;
}

export function printPlanFigures(figures: readonly PlanFigure[]): void {
    console.log("plan (program under mocks + policy pack), staging stack:");
    for (const f of figures) {
        console.log(
            `  ${String(f.tables).padStart(6)} tables  ${String(f.resources).padStart(6)} resources  ` +
                `${f.ms.toFixed(0).padStart(7)} ms  ${f.msPerTable.toFixed(3)} ms/table`,
        );
    }
    const first = figures[figures.length - 2];
    const last = figures[figures.length - 1];
    if (first && last) {
        const ratio = last.msPerTable / first.msPerTable;
        console.log(
            `  per-table cost ${first.tables} -> ${last.tables} tables: x${ratio.toFixed(2)} (1.00 = linear; above ` +
                `~2 means worse than linear)`,
        );
    }
}

if (require.main === module) {
    benchPlan([40, 1_000]).then(printPlanFigures);
}
